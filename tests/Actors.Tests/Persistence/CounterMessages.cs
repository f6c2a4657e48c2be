using Actors.Serialization;

namespace Actors.Tests.Persistence;

// Events and snapshots carry stable manifests; commands and replies stay in the process.

[Manifest("test.counter.added.v1")]
public sealed record Added(int Id, int Amount);

[Manifest("test.counter.state.v1")]
public sealed record CounterState(int Total, int[] Ids);

public sealed record Add(int Id, int Amount = 1);

public sealed record AddAll(int[] Ids);

/// <summary>Acknowledges a persisted Add: its sequence number and the total after it.</summary>
public sealed record Ack(int Id, long SequenceNr, int Total);

public sealed record GetState
{
    public static readonly GetState Instance = new();
}

public sealed record State(int Total, IReadOnlyList<int> Ids, long LastSequenceNr);

public sealed record TakeSnapshot
{
    public static readonly TakeSnapshot Instance = new();
}

public sealed record DeleteUpTo(long SequenceNr);

public sealed record Crash
{
    public static readonly Crash Instance = new();
}

/// <summary>What the counter tells its observer when recovery completed.</summary>
public sealed record Recovered(string PersistenceId, long LastSequenceNr, long SnapshotSequenceNr, int ReplayedEvents, int Total);

public sealed record PersistFailed(Exception Cause, long SequenceNr);

public sealed record RecoveryFailed(Exception Cause);
