namespace Actors.Config;

/// <summary>A <c>true</c> or <c>false</c> literal.</summary>
internal sealed class HoconBoolean(bool value, SourcePosition position) : HoconValue(position)
{
    public bool Value { get; } = value;

    public string Text => Value ? "true" : "false";

    public override bool IsResolved => true;

    public override string Describe() => $"boolean {Text}";
}
