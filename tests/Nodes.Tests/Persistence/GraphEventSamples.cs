using System.Collections.Immutable;
using Nodes.Lifecycle;

namespace Nodes.Tests.Persistence;

/// <summary>One event of every <see cref="IGraphEvent"/> type, with values that exercise its JSON.</summary>
internal static class GraphEventSamples
{
    public static IReadOnlyList<IGraphEvent> All { get; } =
    [
        new NodeAdded("file0", "file", ImmutableSortedDictionary.CreateRange<string, string>(StringComparer.Ordinal, [new("filename", "disk 0.img"), new("aio", "threads")]), "host1", "iothread0"),
        new ChildAttached("raw0", "file", "file0"),
        new ChildDetached("raw0", "backing", "base0"),
        new ChildReplaced("raw0", "file", "file0", "thr0"),
        new NodesMoved(["file0", "raw0"], "iothread1"),
        new ExportAdded("e0", "raw0", "disk0", Writable: true),
        new ExportRetargeted("e0", "raw0", "thr0"),
        new ExportRemoved("e0"),
        new NodeReleased("raw0"),
        new UnrefScheduled("raw0"),
        new NodeClosed("raw0"),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in All)
        {
            data.Add(e.GetType().Name);
        }
        return data;
    }

    public static IGraphEvent Named(string typeName) => All.Single(e => e.GetType().Name == typeName);
}
