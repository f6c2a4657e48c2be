using System.Collections.Immutable;
using Actors.Serialization;

namespace Nodes.Runtime;

/// <summary>One node in a <see cref="GraphSnapshot"/>.</summary>
[Manifest("graph.node-snapshot.v1")]
public sealed record NodeSnapshot(string Name, string Driver, string Host, string IoThread, int RefCount, bool PendingUnref, ImmutableSortedDictionary<string, string> Children);
