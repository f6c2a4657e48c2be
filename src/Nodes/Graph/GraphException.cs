namespace Nodes.Graph;

/// <summary>
/// A graph change was refused; the graph is unchanged. The message is written for the user and
/// becomes the <c>desc</c> of a QMP <c>GenericError</c>.
/// </summary>
public sealed class GraphException(string message) : Exception(message);
