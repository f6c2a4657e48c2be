namespace Nodes.Lifecycle;

/// <summary>
/// A step in the life of the block graph. Graph changes produce these inside a write section;
/// they are persisted (with their stable manifests) and replayed to rebuild the graph.
/// </summary>
public interface IGraphEvent;
