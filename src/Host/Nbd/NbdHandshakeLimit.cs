using System.Globalization;

namespace Host.Nbd;

/// <summary>
/// QEMU's <c>handshake-max-seconds</c> (<c>nbd-server-start</c>, qemu-storage-daemon's
/// <c>--nbd-server</c>): how long a client may take from connecting until it has chosen an export
/// (NBD_OPT_GO or NBD_OPT_EXPORT_NAME done), TLS handshake included, before the server closes its
/// connection. 0 is no limit. As in QEMU a <c>uint32</c>, validated here for both edges.
/// </summary>
public readonly record struct NbdHandshakeLimit
{
    /// <summary>QEMU's default, when the option is not given.</summary>
    public static readonly NbdHandshakeLimit Default = new(10);

    public static readonly NbdHandshakeLimit None = new(0);

    /// <summary>
    /// The longest due time a <see cref="Timer"/> takes (2^32 - 2 ms, about 49.7 days). A longer
    /// limit arms no timer: it would only fire on a client that sat in the handshake for weeks.
    /// </summary>
    private const uint MaxTimerSeconds = (uint.MaxValue - 1) / 1000;

    public NbdHandshakeLimit(uint seconds) => Seconds = seconds;

    public uint Seconds { get; }

    /// <summary>How long the handshake may take; null for no limit (0, or beyond what a timer takes).</summary>
    public TimeSpan? Duration => Seconds is > 0 and <= MaxTimerSeconds ? TimeSpan.FromSeconds(Seconds) : null;

    /// <summary>The value of a command-line key; throws <see cref="ArgumentException"/> with one line naming the key otherwise.</summary>
    public static NbdHandshakeLimit Parse(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? new(seconds) : throw Refused(text);

    /// <summary>The value of a QMP integer member; throws <see cref="ArgumentException"/> with one line naming the member otherwise.</summary>
    public static NbdHandshakeLimit From(long seconds) =>
        seconds is >= 0 and <= uint.MaxValue ? new((uint)seconds) : throw Refused(seconds.ToString(CultureInfo.InvariantCulture));

    private static ArgumentException Refused(string value) =>
        new($"Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to {uint.MaxValue}, got '{value}'");
}
