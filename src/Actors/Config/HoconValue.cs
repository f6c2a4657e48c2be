namespace Actors.Config;

/// <summary>
/// A node of a parsed config. Objects, arrays and scalars are what a config finally holds;
/// <see cref="HoconSubstitution"/>, <see cref="HoconConcatenation"/> and <see cref="HoconMergeStack"/>
/// are "deferred": what they are is only known after <see cref="SubstitutionResolver"/> has run.
/// Values are immutable, so merged configs can share them.
/// </summary>
internal abstract class HoconValue(SourcePosition position)
{
    /// <summary>Where the value was written.</summary>
    public SourcePosition Position { get; } = position;

    /// <summary>True when the value's kind is only known after resolving substitutions.</summary>
    public virtual bool IsDeferred => false;

    /// <summary>True when nothing inside the value is deferred, so it can be read as it is.</summary>
    public abstract bool IsResolved { get; }

    /// <summary>How error messages name the value, e.g. <c>string 'abc'</c> or <c>object</c>.</summary>
    public abstract string Describe();
}
