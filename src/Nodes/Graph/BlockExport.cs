namespace Nodes.Graph;

/// <summary>An export (NBD) of a node, as the graph knows it.</summary>
public sealed record BlockExport(string Id, string Node, string Name, bool Writable);
