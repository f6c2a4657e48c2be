namespace Nodes.Runtime;

/// <summary>The graph's journal refused events that already took effect on the live nodes.</summary>
public sealed class GraphJournalException(string message, Exception inner) : Exception(message, inner);
