namespace Actors.Serialization;

/// <summary>
/// Gives a message or event type a stable name (e.g. <c>"node-closed.v1"</c>) used on the wire
/// and in the journal instead of its CLR type name, so renaming the type never breaks recovery
/// or a peer running another build.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class ManifestAttribute(string manifest) : Attribute
{
    public string Manifest { get; } = manifest;
}
