namespace Actors.Tests.Dispatch;

/// <summary>
/// Stress tests run alone, after the others: on a small machine, eight busy producer threads
/// would otherwise slow every other test down, and the other tests would dilute the stress.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressCollection
{
    public const string Name = "stress";
}
