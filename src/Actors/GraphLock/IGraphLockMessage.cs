namespace Actors.GraphLock;

/// <summary>
/// A graph-lock message that may cross hosts (a host's aggregator and the Coordinator singleton
/// are on different members): bound to the manifest serializer in <c>hocon/reference.conf</c>, so
/// it travels under its stable manifest, never a CLR type name.
/// </summary>
public interface IGraphLockMessage;
