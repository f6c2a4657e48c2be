using System.Text;
using Actors.Core;
using Actors.Messages;
using Actors.Serialization;

namespace Actors.Tests.Serialization;

public sealed class SerializerRegistryTests : Actors.TestKit.TestKit
{
    [Manifest("tests.block-written.v1")]
    public sealed record BlockWritten(string Node, long Offset, int Length, IActorRef ReplyTo);

    public sealed record NoManifest(int Value);

    [Fact]
    public void A_message_round_trips_under_its_stable_manifest_with_actor_refs_resolved()
    {
        var message = new BlockWritten("disk0", 4096, 512, TestActor);
        var serialized = Sys.Serialization.Serialize(message);

        Assert.Equal("tests.block-written.v1", serialized.Manifest);
        var back = (BlockWritten)Sys.Serialization.Deserialize(serialized);
        Assert.Equal(message with { ReplyTo = back.ReplyTo }, back);
        Assert.Equal(TestActor.Path, back.ReplyTo.Path);
    }

    [Fact]
    public void The_payload_does_not_contain_the_clr_type_name()
    {
        var serialized = Sys.Serialization.Serialize(new BlockWritten("disk0", 0, 1, TestActor));
        Assert.DoesNotContain(nameof(BlockWritten), Encoding.UTF8.GetString(serialized.Payload.Span));
    }

    [Fact]
    public void A_ref_to_a_live_actor_deserializes_to_that_actor()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Forwarder(TestActor)), "forwarder");
        var back = (Terminated)Sys.Serialization.Deserialize(Sys.Serialization.Serialize(new Terminated(actor)));
        back.ActorRef.Tell("through the deserialized ref", Nobody.Instance);
        ExpectMsg("through the deserialized ref");
    }

    [Fact]
    public void A_type_without_a_manifest_is_refused_before_it_leaves()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Sys.Serialization.Serialize(new NoManifest(1)));
        Assert.Contains(nameof(NoManifest), error.Message);
        Assert.Contains("[Manifest", error.Message);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_naming_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Sys.Serialization.Deserialize(new SerializedMessage("nobody.knows.v9", Array.Empty<byte>())));
        Assert.Contains("nobody.knows.v9", error.Message);
    }

    [Fact]
    public void One_manifest_cannot_name_two_types()
    {
        Sys.Serialization.Register<NoManifest>("tests.shared.v1");
        Assert.Throws<InvalidOperationException>(() => Sys.Serialization.Register<BlockWritten>("tests.shared.v1"));
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(message => target.Forward(message));
    }
}
