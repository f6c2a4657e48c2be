namespace Nodes.Runtime;

/// <summary>
/// A message to or from the <see cref="GraphOwner"/> that may cross hosts (in a cluster the owner
/// is a singleton on one member; QMP and the live nodes of every host talk to it): bound to the
/// manifest serializer in <c>hocon/reference.conf</c>, so it travels under its stable manifest.
/// </summary>
public interface IGraphMessage;
