namespace Actors.Config;

/// <summary>
/// A config could not be parsed, resolved or read. When the place of the problem is known the
/// message starts with <c>origin:line:column: </c>, e.g. <c>host.conf:12:5: expected '}'</c>.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates an exception for a problem whose position is not known.</summary>
    public ConfigException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception for a problem whose position is not known.</summary>
    public ConfigException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Detail = message;
    }

    internal ConfigException(SourcePosition position, string detail, Exception? innerException = null)
        : base($"{position}: {detail}", innerException)
    {
        Origin = position.Origin;
        Line = position.Line;
        Column = position.Column;
        Detail = detail;
    }

    /// <summary>The file or other origin (<c>&lt;string&gt;</c>, <c>env var X</c>) of the problem; null when unknown.</summary>
    public string? Origin { get; }

    /// <summary>The 1-based line of the problem; 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of the problem; 0 when unknown.</summary>
    public int Column { get; }

    // The message without its position, so a caller can wrap it into a message of its own.
    internal string Detail { get; }

    internal SourcePosition? Position => Origin is null ? null : new SourcePosition(Origin, Line, Column);
}
