using Actors.Serialization;

namespace Nodes.Runtime;

/// <summary>A host's live nodes did what the graph's owner asked (<see cref="ApplyEvents"/>, <see cref="CloseLiveNode"/>, a RemoveIoThread).</summary>
[Manifest("graph.live-work-done.v1")]
public sealed record LiveWorkDone(string Host) : IGraphMessage;
