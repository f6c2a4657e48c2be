namespace Host.Tests.Nbd;

/// <summary>
/// One step of a fuzz session (<see cref="NbdFuzzCase"/>): bytes the client sends, or the answer it
/// expects next. <see cref="NbdFuzzSession"/> runs the steps in order on one connection.
/// </summary>
public abstract record NbdFuzzStep
{
    /// <summary>Bytes as they go on the wire, malformed or not.</summary>
    public sealed record Send(byte[] Bytes) : NbdFuzzStep;

    /// <summary>A transmission request (header and <paramref name="Payload"/>); its reply is found by <paramref name="Handle"/>, in whatever order replies come.</summary>
    public sealed record Request(ushort Command, ushort Flags, ulong Handle, ulong Offset, uint Length, byte[]? Payload = null) : NbdFuzzStep;

    /// <summary>
    /// The replies to <paramref name="Option"/> end in one of <paramref name="Finals"/> (NBD_REP_ACK
    /// or an NBD_REP_ERR_*); an ACK comes after <paramref name="Contexts"/> META_CONTEXT replies when given.
    /// </summary>
    public sealed record ExpectOption(uint Option, uint[] Finals, int? Contexts = null) : NbdFuzzStep;

    /// <summary>NBD_OPT_EXPORT_NAME's answer: the export's size and flags, without padding (the client sent NO_ZEROES).</summary>
    public sealed record ExpectExportName(long Size) : NbdFuzzStep;

    /// <summary>
    /// The reply to request <paramref name="Handle"/> carries one of <paramref name="Errors"/> (0 is
    /// success); a successful READ returns <paramref name="Data"/>, and a successful write makes the
    /// case's slot hold <paramref name="Lands"/>.
    /// </summary>
    public sealed record ExpectReply(ulong Handle, uint[] Errors, byte[]? Data = null, byte[]? Lands = null) : NbdFuzzStep;

    /// <summary>The server closes the connection; with <paramref name="Drain"/>, after whatever it still owed.</summary>
    public sealed record ExpectClose(bool Drain = false) : NbdFuzzStep;

    /// <summary>The client shuts down its sending side: the server reads end of file.</summary>
    public sealed record HalfClose : NbdFuzzStep;

    /// <summary>The client closes the connection at once, in the middle of whatever it was sending.</summary>
    public sealed record Hangup : NbdFuzzStep;

    /// <summary>
    /// Read on a new connection, the case's slot holds one of <paramref name="Contents"/>: a write cut
    /// off mid-payload never lands, one whose reply was lost lands whole or not at all.
    /// </summary>
    public sealed record CheckSlot(byte[][] Contents) : NbdFuzzStep;
}
