namespace Actors.Config;

/// <summary>
/// Several values for one field whose merge has to wait for substitutions: <c>a = ${b}</c> followed
/// by <c>a { c = 1 }</c> merges only if <c>${b}</c> turns out to be an object, and <c>a = ${a} [2]</c>
/// needs the earlier value of <c>a</c> to look back at. Layers run from the earliest to the latest.
/// </summary>
internal sealed class HoconMergeStack(IReadOnlyList<HoconValue> layers)
    : HoconValue(layers[^1].Position)
{
    public IReadOnlyList<HoconValue> Layers { get; } = layers;

    public override bool IsDeferred => true;

    public override bool IsResolved => false;

    public override string Describe() => "merge of several values";
}
