namespace Actors.Config;

/// <summary>
/// A <c>null</c> literal. A path set to null counts as missing for getters, yet it still hides the
/// environment variable of the same name from substitutions, as the spec asks.
/// </summary>
internal sealed class HoconNull(SourcePosition position) : HoconValue(position)
{
    public override bool IsResolved => true;

    public override string Describe() => "null";
}
