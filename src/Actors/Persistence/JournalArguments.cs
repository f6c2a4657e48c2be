using System.Collections.Immutable;

namespace Actors.Persistence;

/// <summary>Argument checks and the tag encoding shared by the journals.</summary>
internal static class JournalArguments
{
    /// <summary>Validates one append batch (see <see cref="IJournal.AppendAsync"/>).</summary>
    public static void ValidateBatch(PersistenceId persistenceId, IReadOnlyList<JournalWrite> events)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException($"An append to '{persistenceId}' needs at least one event.", nameof(events));
        }
        var previous = 0L;
        foreach (var write in events)
        {
            if (write.SequenceNr <= previous)
            {
                throw new ArgumentException(
                    $"The sequence numbers of an append to '{persistenceId}' must be positive and increasing; {write.SequenceNr} follows {previous}.", nameof(events));
            }
            previous = write.SequenceNr;
            if (string.IsNullOrEmpty(write.Manifest))
            {
                throw new ArgumentException($"Event {write.SequenceNr} of '{persistenceId}' has no manifest.", nameof(events));
            }
            if (!write.Tags.IsDefaultOrEmpty)
            {
                foreach (var tag in write.Tags)
                {
                    ValidateTag(tag, nameof(events));
                }
            }
        }
    }

    public static void ValidateTag(string tag, string parameterName)
    {
        if (string.IsNullOrEmpty(tag) || tag.Contains(';'))
        {
            throw new ArgumentException($"A tag must be a non-empty string without ';'; got '{tag}'.", parameterName);
        }
    }

    /// <summary>Tags are stored as <c>;a;b;</c> (null for none), so a tag is found with <c>';' || tag || ';'</c>.</summary>
    public static string? EncodeTags(ImmutableArray<string> tags) =>
        tags.IsDefaultOrEmpty ? null : ";" + string.Join(';', tags) + ";";

    /// <summary>The search key of <paramref name="tag"/> in an encoded tags column.</summary>
    public static string TagKey(string tag) => ";" + tag + ";";

    public static ImmutableArray<string> DecodeTags(string? encoded) =>
        string.IsNullOrEmpty(encoded)
            ? []
            : [.. encoded.Split(';', StringSplitOptions.RemoveEmptyEntries)];

    public static void ValidateRange(long from, long to, long max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfNegative(to);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
    }

    /// <summary>Reads one journal row (ordering, persistence_id, sequence_nr, created, manifest, payload, tags), the same in every SQL store.</summary>
    public static JournalEntry ReadEntry(System.Data.Common.DbDataReader reader, PersistenceId persistenceId) => new(
        Ordering: reader.GetInt64(0),
        PersistenceId: persistenceId,
        SequenceNr: reader.GetInt64(2),
        Created: new DateTime(reader.GetInt64(3), DateTimeKind.Utc),
        Manifest: reader.GetString(4),
        Payload: reader.GetFieldValue<byte[]>(5),
        Tags: DecodeTags(reader.IsDBNull(6) ? null : reader.GetString(6)));
}
