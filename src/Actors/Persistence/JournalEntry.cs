using System.Collections.Immutable;

namespace Actors.Persistence;

/// <summary>One stored event, as a read returns it.</summary>
/// <param name="Ordering">Its position in the whole journal (all streams), assigned at append; increasing, with gaps.</param>
/// <param name="PersistenceId">The stream it belongs to.</param>
/// <param name="SequenceNr">Its position in its stream.</param>
/// <param name="Created">When the journal stored it (UTC).</param>
/// <param name="Manifest">The stable manifest the event was written with.</param>
/// <param name="Payload">The serialized event: a fresh array the reader owns.</param>
/// <param name="Tags">Its tags (empty when it has none).</param>
public sealed record JournalEntry(
    long Ordering,
    PersistenceId PersistenceId,
    long SequenceNr,
    DateTime Created,
    string Manifest,
    byte[] Payload,
    ImmutableArray<string> Tags);
