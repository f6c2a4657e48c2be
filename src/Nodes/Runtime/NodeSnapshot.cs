using System.Collections.Immutable;
using Actors.Serialization;

namespace Nodes.Runtime;

/// <summary>One node in a <see cref="GraphSnapshot"/>.</summary>
/// <param name="Name">Its node-name.</param>
/// <param name="Driver">Its driver.</param>
/// <param name="Host">The host it lives on.</param>
/// <param name="IoThread">The IoThread it runs on.</param>
/// <param name="RefCount">Its references: the monitor's, its parents', its exports'.</param>
/// <param name="PendingUnref">Its last reference went; its close is pending.</param>
/// <param name="Children">Role → child node-name.</param>
/// <param name="Unavailable">Why the node could not be opened at recovery, or null when it serves.</param>
[Manifest("graph.node-snapshot.v1")]
public sealed record NodeSnapshot(string Name, string Driver, string Host, string IoThread, int RefCount, bool PendingUnref, ImmutableSortedDictionary<string, string> Children, string? Unavailable = null);
