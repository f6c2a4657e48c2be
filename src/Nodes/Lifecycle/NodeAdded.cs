using System.Collections.Immutable;
using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>A node was added (blockdev-add); the monitor holds a reference to it.</summary>
[Manifest("node-added.v1")]
public sealed record NodeAdded(string Node, string Driver, ImmutableSortedDictionary<string, string> Options, string Host, string IoThread) : IGraphEvent;
