namespace Actors.Persistence;

/// <summary>
/// The id of one event stream in the journal (one persistent actor's history): non-empty, at
/// most <see cref="MaxLength"/> characters, no control characters. Validated on construction, so
/// a journal never sees an id it cannot store; <c>default(PersistenceId)</c> is not a valid id
/// and every journal call rejects it.
/// </summary>
public readonly record struct PersistenceId
{
    /// <summary>The longest id the journals store (the width of their <c>persistence_id</c> column).</summary>
    public const int MaxLength = 255;

    private readonly string? _value;

    /// <exception cref="ArgumentException"><paramref name="value"/> is empty, too long or contains a control character.</exception>
    public PersistenceId(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Validate(value) is { } problem)
        {
            throw new ArgumentException(problem, nameof(value));
        }
        _value = value;
    }

    /// <summary>The id's text (empty for <c>default(PersistenceId)</c>).</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>False only for <c>default(PersistenceId)</c>.</summary>
    public bool IsValid => _value is not null;

    /// <summary>Parses without throwing; <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryCreate(string? value, out PersistenceId id, out string? problem)
    {
        problem = value is null ? "A persistence id must not be null." : Validate(value);
        id = problem is null ? new PersistenceId(value!) : default;
        return problem is null;
    }

    public override string ToString() => Value;

    /// <summary>Throws when this is <c>default(PersistenceId)</c>; journals call it on every entry point.</summary>
    internal void EnsureValid(string parameterName)
    {
        if (_value is null)
        {
            throw new ArgumentException("default(PersistenceId) is not a persistence id: create one from a string.", parameterName);
        }
    }

    private static string? Validate(string value)
    {
        if (value.Length == 0)
        {
            return "A persistence id must not be empty.";
        }
        if (value.Length > MaxLength)
        {
            return $"A persistence id has at most {MaxLength} characters; '{value[..32]}...' has {value.Length}.";
        }
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsControl(value[i]))
            {
                return $"A persistence id must not contain control characters; '{Printable(value)}' has U+{(int)value[i]:X4} at index {i}.";
            }
        }
        return null;
    }

    private static string Printable(string value) =>
        string.Create(value.Length, value, static (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                span[i] = char.IsControl(text[i]) ? '?' : text[i];
            }
        });
}
