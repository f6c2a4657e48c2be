using System.Collections.Immutable;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Tests.Graph;

public sealed class BlockGraphTests
{
    private static readonly ImmutableSortedDictionary<string, string> NoOptions = ImmutableSortedDictionary<string, string>.Empty;

    private static readonly Dictionary<string, DriverInfo> Drivers = new()
    {
        ["file"] = DriverInfo.Protocol("file"),
        ["null-co"] = DriverInfo.Protocol("null-co"),
        ["raw"] = DriverInfo.Format("raw"),
        ["throttle"] = DriverInfo.Filter("throttle"),
    };

    private readonly BlockGraph _graph = new(name => Drivers.GetValueOrDefault(name));

    /// <summary>  disk0 ─file→ file0, exported as e0  </summary>
    private void RawOverFileExported()
    {
        _graph.AddNode("file0", "file", NoOptions, "h1", "io0", new Dictionary<string, NodeName>());
        _graph.AddNode("disk0", "raw", NoOptions, "h1", "io0", new Dictionary<string, NodeName> { ["file"] = "file0" });
        _graph.AddExport("e0", "disk0", "disk0", writable: true);
    }

    [Fact]
    public void A_format_node_over_its_file_counts_one_reference_per_parent_plus_the_monitors()
    {
        RawOverFileExported();
        Assert.Equal(2, _graph.Get("file0").RefCount);
        Assert.Equal(2, _graph.Get("disk0").RefCount);
        Assert.Equal("file0", _graph.Get("disk0").Children[ChildRole.File]);
    }

    [Theory]
    [InlineData("0bad")]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("a-name-that-is-far-too-long-for-qemu")]
    public void Invalid_node_names_are_refused(string name) =>
        Assert.Throws<GraphException>(() => _graph.AddNode(name, "null-co", NoOptions, "h1", "io0", new Dictionary<string, NodeName>()));

    [Fact]
    public void A_duplicate_name_is_refused_with_qemus_message_and_changes_nothing()
    {
        RawOverFileExported();
        var error = Assert.Throws<GraphException>(() => _graph.AddNode("disk0", "null-co", NoOptions, "h1", "io0", new Dictionary<string, NodeName>()));
        Assert.Equal("Duplicate nodes with node-name='disk0'", error.Message);
        Assert.Equal("raw", _graph.Get("disk0").Driver);
    }

    [Fact]
    public void A_format_without_its_required_file_child_is_refused()
    {
        var error = Assert.Throws<GraphException>(() => _graph.AddNode("disk0", "raw", NoOptions, "h1", "io0", new Dictionary<string, NodeName>()));
        Assert.Contains("'file' is required", error.Message);
        Assert.Empty(_graph.Nodes);
    }

    [Fact]
    public void Unknown_drivers_and_unknown_children_are_refused()
    {
        Assert.Throws<GraphException>(() => _graph.AddNode("x", "qcow9", NoOptions, "h1", "io0", new Dictionary<string, NodeName>()));
        var error = Assert.Throws<GraphException>(() => _graph.AddNode("disk0", "raw", NoOptions, "h1", "io0", new Dictionary<string, NodeName> { ["file"] = "nope" }));
        Assert.Equal("Cannot find node name 'nope'", error.Message);
        Assert.Empty(_graph.Nodes);
    }

    [Fact]
    public void A_child_of_the_wrong_kind_is_refused()
    {
        _graph.AddNode("null0", "null-co", NoOptions, "h1", "io0", new Dictionary<string, NodeName>());
        _graph.AddNode("null1", "null-co", NoOptions, "h1", "io0", new Dictionary<string, NodeName>());
        Assert.Throws<GraphException>(() => _graph.Attach("null0", ChildRole.File, "null1"));
    }

    /// <summary>  a ─backing→ b ─backing→ c ; attaching c ─backing→ a closes a loop  </summary>
    [Fact]
    public void An_edge_that_would_close_a_cycle_is_refused()
    {
        _graph.AddNode("f", "file", NoOptions, "h1", "io0", new Dictionary<string, NodeName>());
        foreach (var name in new[] { "c", "b", "a" })
        {
            _graph.AddNode(name, "raw", NoOptions, "h1", "io0", new Dictionary<string, NodeName> { ["file"] = "f" });
        }
        _graph.Attach("a", ChildRole.Backing, "b");
        _graph.Attach("b", ChildRole.Backing, "c");
        var error = Assert.Throws<GraphException>(() => _graph.Attach("c", ChildRole.Backing, "a"));
        Assert.Contains("cycle", error.Message);
        Assert.False(_graph.Get("c").Children.ContainsKey(ChildRole.Backing));
    }

    [Fact]
    public void Deleting_a_node_used_by_an_export_or_a_parent_is_refused_naming_the_user()
    {
        RawOverFileExported();
        Assert.Equal("Node 'disk0' is busy: node is used as export 'e0'", Assert.Throws<GraphException>(() => _graph.DeleteNode("disk0")).Message);
        Assert.Contains("'file' child of 'disk0'", Assert.Throws<GraphException>(() => _graph.DeleteNode("file0")).Message);
    }

    [Fact]
    public void Deleting_an_unused_node_schedules_its_unref_and_closing_it_lets_go_of_its_children()
    {
        RawOverFileExported();
        _graph.RemoveExport("e0");
        var deleted = _graph.DeleteNode("disk0");
        Assert.Equal([new NodeReleased("disk0"), new UnrefScheduled("disk0")], deleted);
        Assert.Equal(["disk0"], _graph.PendingUnrefs);
        // Until disk0 is closed it still holds file0.
        Assert.Throws<GraphException>(() => _graph.DeleteNode("file0"));

        var closed = _graph.Close("disk0");
        Assert.Equal([new ChildDetached("disk0", ChildRole.File, "file0"), new NodeClosed("disk0")], closed);
        Assert.Empty(_graph.PendingUnrefs);
        Assert.Null(_graph.Find("disk0"));
        Assert.Equal(1, _graph.Get("file0").RefCount);
        Assert.Equal([new NodeReleased("file0"), new UnrefScheduled("file0")], _graph.DeleteNode("file0"));
    }

    [Fact]
    public void A_node_being_closed_cannot_take_new_references()
    {
        _graph.AddNode("null0", "null-co", NoOptions, "h1", "io0", new Dictionary<string, NodeName>());
        _graph.DeleteNode("null0");
        Assert.Equal("Node 'null0' is being closed", Assert.Throws<GraphException>(() => _graph.AddExport("e0", "null0", "n", false)).Message);
    }

    /// <summary>
    ///   before:  e0 → disk0 ─file→ file0
    ///   after:   e0 → thr0 ─file→ disk0 ─file→ file0     (then removed again)
    /// </summary>
    [Fact]
    public void Inserting_a_filter_repoints_every_parent_and_export_at_once_and_removing_it_restores_them()
    {
        RawOverFileExported();
        var inserted = _graph.InsertFilter("thr0", "throttle", NoOptions, "disk0");
        Assert.Contains(new ExportRetargeted("e0", "disk0", "thr0"), inserted);
        Assert.Equal("thr0", _graph.FindExport("e0")!.Node);
        Assert.Equal([("thr0", ChildRole.File)], _graph.Get("disk0").Parents);

        _graph.RemoveFilter("thr0");
        Assert.Equal("disk0", _graph.FindExport("e0")!.Node);
        Assert.Equal(["thr0"], _graph.PendingUnrefs);
        _graph.Close("thr0");
        Assert.Empty(_graph.Get("disk0").Parents);
        Assert.Equal(2, _graph.Get("disk0").RefCount);
    }

    [Fact]
    public void Moving_a_node_moves_everything_attached_to_it()
    {
        RawOverFileExported();
        _graph.AddNode("other", "null-co", NoOptions, "h1", "io0", new Dictionary<string, NodeName>());
        var moved = Assert.Single(_graph.Move("file0", "io1"));
        Assert.Equal(new[] { "disk0", "file0" }, ((NodesMoved)moved).Nodes);
        Assert.Equal("io1", _graph.Get("disk0").IoThread);
        Assert.Equal("io0", _graph.Get("other").IoThread);
    }

    [Fact]
    public void A_child_on_another_iothread_cannot_be_attached()
    {
        _graph.AddNode("file0", "file", NoOptions, "h1", "io1", new Dictionary<string, NodeName>());
        var error = Assert.Throws<GraphException>(() => _graph.AddNode("disk0", "raw", NoOptions, "h1", "io0", new Dictionary<string, NodeName> { ["file"] = "file0" }));
        Assert.Contains("move one of them first", error.Message);
    }

    [Fact]
    public void Replaying_the_events_of_every_change_rebuilds_the_same_graph()
    {
        var events = new List<IGraphEvent>();
        events.AddRange(_graph.AddNode("file0", "file", NoOptions, "h1", "io0", new Dictionary<string, NodeName>()));
        events.AddRange(_graph.AddNode("disk0", "raw", NoOptions, "h1", "io0", new Dictionary<string, NodeName> { ["file"] = "file0" }));
        events.AddRange(_graph.AddExport("e0", "disk0", "disk0", true));
        events.AddRange(_graph.InsertFilter("thr0", "throttle", NoOptions, "disk0"));
        events.AddRange(_graph.Move("thr0", "io1"));
        events.AddRange(_graph.RemoveFilter("thr0"));

        var replayed = new BlockGraph(name => Drivers.GetValueOrDefault(name));
        events.ForEach(replayed.Apply);

        Assert.Equal(Describe(_graph), Describe(replayed));
    }

    private static string Describe(BlockGraph graph) => string.Join("\n",
        graph.Nodes.OrderBy(n => n.Name).Select(n =>
            $"{n.Name} {n.Driver} {n.IoThread} refs={n.RefCount} pending={n.PendingUnref} children=[{string.Join(",", n.Children)}] exports=[{string.Join(",", n.Exports)}]"))
        + "\n" + string.Join(",", graph.PendingUnrefs);
}
