using System.Reflection;
using System.Runtime.Serialization;
using System.Text;
using Actors.GraphLock;
using Actors.Serialization;
using Akka.Actor;
using Nodes.Lifecycle;

namespace Nodes.Tests.Persistence;

/// <summary>Akka's serialization of graph events and snapshots, as reference.conf configures it.</summary>
public sealed class ManifestSerializerTests() : Akka.TestKit.Xunit2.TestKit(PersistenceTestConfig.Akka("/nonexistent"))
{
    [Manifest("tests.twice.v1")]
    public sealed record TwiceA(int Value);

    [Manifest("tests.twice.v1")]
    public sealed record TwiceB(int Value);

    public sealed record Unmarked(int Value);

    [Manifest("tests.block-written.v1")]
    public sealed record BlockWritten(string Node, long Offset, IActorRef ReplyTo);

    private ManifestSerializer Serializer => (ManifestSerializer)Sys.Serialization.FindSerializerForType(typeof(IGraphEvent));

    [Theory]
    [MemberData(nameof(GraphEventSamples.Names), MemberType = typeof(GraphEventSamples))]
    public void A_graph_event_round_trips_through_Akka_serialization_under_its_manifest(string typeName)
    {
        var original = GraphEventSamples.Named(typeName);

        var serializer = Sys.Serialization.FindSerializerFor(original);
        var bytes = serializer.ToBinary(original);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, original);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

        Assert.IsType<ManifestSerializer>(serializer);
        Assert.Equal(ManifestSerializer.Id, serializer.Identifier);
        Assert.Equal(original.GetType().GetCustomAttribute<ManifestAttribute>()!.Manifest, manifest);
        Assert.IsType(original.GetType(), back);
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(serializer.ToBinary(back)));
    }

    /// <summary>Between hosts: a host's report names the reader that left, and a status carries every phase and the slowest drain.</summary>
    [Fact]
    public void Reader_reports_and_the_graph_lock_status_round_trip_with_the_reader_and_the_phases()
    {
        var reader = new DrainReader("io0", "disk", "NBD_CMD_FLUSH");
        var latency = new LatencySummary(8, 120, 4000, 4100);
        object[] messages =
        [
            new ReaderReport("host:h1", 3, 0, 2, reader),
            new GraphLockStatus([new ContextStatus("host:h1", 0, 0, 3)], 0, false, false, 3, 0, 3, 1, 0, latency,
                new WritePhases(latency, latency, latency, latency, latency, latency, new SlowestDrain(3, 4100, reader))),
        ];
        foreach (var original in messages)
        {
            var serializer = Sys.Serialization.FindSerializerFor(original);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, original);
            var back = Sys.Serialization.Deserialize(serializer.ToBinary(original), serializer.Identifier, manifest);

            Assert.IsType<ManifestSerializer>(serializer);
            Assert.Equal(Encoding.UTF8.GetString(serializer.ToBinary(original)), Encoding.UTF8.GetString(serializer.ToBinary(back)));
        }
    }

    [Fact]
    public void The_samples_cover_every_graph_event_type()
    {
        var types = typeof(IGraphEvent).Assembly.GetTypes()
            .Where(t => typeof(IGraphEvent).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
            .Select(t => t.Name).Order().ToList();

        Assert.Equal(types, GraphEventSamples.All.Select(e => e.GetType().Name).Order().ToList());
    }

    [Fact]
    public void A_graph_history_names_each_event_by_its_manifest_and_no_clr_type()
    {
        var history = new GraphHistory([.. GraphEventSamples.All]);

        var serializer = Sys.Serialization.FindSerializerFor(history);
        var bytes = serializer.ToBinary(history);
        var json = Encoding.UTF8.GetString(bytes);
        var back = (GraphHistory)Sys.Serialization.Deserialize(bytes, serializer.Identifier, "graph.compacted-history.v2");

        Assert.IsType<ManifestSerializer>(serializer);
        Assert.StartsWith("""{"events":[{"manifest":"node-added.v1","payload":{"node":"file0",""", json);
        Assert.DoesNotContain("Nodes.", json);
        Assert.DoesNotContain("$type", json);
        Assert.Equal(history.Events.Select(e => e.GetType()), back.Events.Select(e => e.GetType()));
        Assert.Equal(json, Encoding.UTF8.GetString(serializer.ToBinary(back)));
    }

    [Fact]
    public void A_payload_written_by_the_journal_before_Akka_reads_back()
    {
        // Copied from tests/Nodes.Tests/Assets/legacy-data/journal.db (JsonMessageSerializer's output).
        var old = """{"node":"raw0","driver":"raw","options":{"offset":"4096","size":"1M"},"host":"host1","ioThread":"iothread0"}"""u8.ToArray();

        var back = (NodeAdded)Serializer.FromBinary(old, "node-added.v1");

        Assert.Equal(("raw0", "raw", "host1", "iothread0"), (back.Node, back.Driver, back.Host, back.IoThread));
        Assert.Equal(new Dictionary<string, string> { ["offset"] = "4096", ["size"] = "1M" }, back.Options);
    }

    [Fact]
    public void A_type_without_a_manifest_is_refused_naming_the_type()
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.Manifest(new Unmarked(1)));
        var toBinary = Assert.Throws<SerializationException>(() => Serializer.ToBinary(new Unmarked(1)));

        Assert.Contains(typeof(Unmarked).FullName!, error.Message);
        Assert.Contains("[Manifest(", error.Message);
        Assert.Equal(error.Message, toBinary.Message);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_naming_it()
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary("{}"u8.ToArray(), "nobody.knows.v9"));

        Assert.Contains("'nobody.knows.v9'", error.Message);
    }

    [Fact]
    public void Two_types_under_one_manifest_are_refused_naming_both()
    {
        var reading = Assert.Throws<SerializationException>(() => Serializer.FromBinary("""{"value":1}"""u8.ToArray(), "tests.twice.v1"));
        var writing = Assert.Throws<SerializationException>(() => Serializer.Manifest(new TwiceA(1)));

        foreach (var error in new[] { reading, writing })
        {
            Assert.Contains("'tests.twice.v1'", error.Message);
            Assert.Contains(typeof(TwiceA).FullName!, error.Message);
            Assert.Contains(typeof(TwiceB).FullName!, error.Message);
        }
    }

    [Fact]
    public void A_malformed_payload_is_refused_naming_its_manifest()
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary("""{"node": 5"""u8.ToArray(), "node-closed.v1"));

        Assert.Contains("'node-closed.v1'", error.Message);
    }

    [Fact]
    public void An_actor_reference_travels_as_its_path_and_resolves_to_the_actor()
    {
        var message = new BlockWritten("disk0", 4096, TestActor);

        var bytes = Serializer.ToBinary(message);
        var back = (BlockWritten)Serializer.FromBinary(bytes, Serializer.Manifest(message));
        back.ReplyTo.Tell("through the deserialized ref");

        Assert.Contains(TestActor.Path.ToStringWithoutAddress(), Encoding.UTF8.GetString(bytes));
        ExpectMsg("through the deserialized ref");
    }
}
