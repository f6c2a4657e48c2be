using Nodes.Drivers;

namespace Nodes.Nbd;

/// <summary>
/// The numbers of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md) that our server
/// (src/Host/Nbd) and our client (<see cref="NbdClient"/>) speak: fixed newstyle handshake,
/// simple and structured replies, metadata contexts for BLOCK_STATUS, TLS by NBD_OPT_STARTTLS. Every field on the
/// wire is big-endian.
/// </summary>
public static class NbdProtocol
{
    public const ulong NbdMagic = 0x4e42444d41474943; // "NBDMAGIC"
    public const ulong IHaveOpt = 0x49484156454F5054; // "IHAVEOPT"
    public const ulong OptionReplyMagic = 0x0003e889045565a9;
    public const uint RequestMagic = 0x25609513;
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;

    public const ushort FlagFixedNewstyle = 1 << 0;
    public const ushort FlagNoZeroes = 1 << 1;
    public const uint ClientFlagsKnown = FlagFixedNewstyle | FlagNoZeroes;

    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptList = 3;
    public const uint OptStartTls = 5;
    public const uint OptInfo = 6;
    public const uint OptGo = 7;
    public const uint OptStructuredReply = 8;
    public const uint OptListMetaContext = 9;
    public const uint OptSetMetaContext = 10;

    public const uint RepAck = 1;
    public const uint RepServer = 2;
    public const uint RepInfo = 3;
    public const uint RepMetaContext = 4;
    public const uint RepErrUnsup = 0x80000001;
    public const uint RepErrPolicy = 0x80000002;
    public const uint RepErrInvalid = 0x80000003;
    public const uint RepErrTlsReqd = 0x80000005;
    public const uint RepErrUnknown = 0x80000006;
    public const uint RepErrTooBig = 0x80000009;

    public const ushort InfoExport = 0;
    public const ushort InfoBlockSize = 3;

    public const ushort TxHasFlags = 1 << 0;
    public const ushort TxReadOnly = 1 << 1;
    public const ushort TxSendFlush = 1 << 2;
    public const ushort TxSendFua = 1 << 3;
    public const ushort TxSendTrim = 1 << 5;
    public const ushort TxSendWriteZeroes = 1 << 6;
    public const ushort TxSendDf = 1 << 7;
    public const ushort TxCanMultiConn = 1 << 8;

    public const ushort CmdRead = 0;
    public const ushort CmdWrite = 1;
    public const ushort CmdDisc = 2;
    public const ushort CmdFlush = 3;
    public const ushort CmdTrim = 4;
    public const ushort CmdWriteZeroes = 6;
    public const ushort CmdBlockStatus = 7;

    /// <summary>The command's name in the protocol's words (<c>NBD_CMD_READ</c>); constant strings for the commands we serve.</summary>
    public static string CommandName(ushort type) => type switch
    {
        CmdRead => "NBD_CMD_READ",
        CmdWrite => "NBD_CMD_WRITE",
        CmdDisc => "NBD_CMD_DISC",
        CmdFlush => "NBD_CMD_FLUSH",
        CmdTrim => "NBD_CMD_TRIM",
        CmdWriteZeroes => "NBD_CMD_WRITE_ZEROES",
        CmdBlockStatus => "NBD_CMD_BLOCK_STATUS",
        _ => $"NBD command {type}",
    };

    public const ushort CmdFlagFua = 1 << 0;
    public const ushort CmdFlagNoHole = 1 << 1;
    public const ushort CmdFlagDf = 1 << 2;
    public const ushort CmdFlagReqOne = 1 << 3;

    public const ushort ReplyFlagDone = 1 << 0;

    public const ushort ReplyTypeNone = 0;
    public const ushort ReplyTypeOffsetData = 1;
    public const ushort ReplyTypeOffsetHole = 2;
    public const ushort ReplyTypeBlockStatus = 5;
    public const ushort ReplyTypeError = (1 << 15) + 1;
    public const ushort ReplyTypeErrorOffset = (1 << 15) + 2;

    /// <summary>base:allocation: the extent is not allocated in the storage (a hole, or held by no layer).</summary>
    public const uint StateHole = 1 << 0;

    /// <summary>base:allocation: the extent reads as zeroes.</summary>
    public const uint StateZero = 1 << 1;

    public const uint EPerm = 1;
    public const uint EIo = 5;
    public const uint ENoMem = 12;
    public const uint EInval = 22;
    public const uint ENoSpc = 28;
    public const uint EOverflow = 75;
    public const uint ENotSup = 95;
    public const uint EShutdown = 108;

    /// <summary>Length of a request header (magic, flags, type, handle, offset, length).</summary>
    public const int RequestSize = 28;

    /// <summary>Length of a simple reply header (magic, error, handle).</summary>
    public const int ReplySize = 16;

    /// <summary>Length of a structured reply chunk header (magic, flags, type, handle, payload length).</summary>
    public const int ChunkHeaderSize = 20;

    /// <summary>
    /// The longest string the protocol carries (export names, context names, error messages);
    /// longer metadata queries are ignored, as QEMU does.
    /// </summary>
    public const int MaxStringLength = 4096;

    /// <summary>
    /// Descriptors per context in one BLOCK_STATUS reply (QEMU's bound: a 1 MiB reply); the client
    /// asks again from where the reply ended.
    /// </summary>
    public const int MaxExtents = 1 << 17;

    /// <summary>
    /// The largest READ/WRITE payload we take (QEMU's NBD_MAX_BUFFER_SIZE); advertised as the
    /// maximum block size, and the bound on what one request may make us allocate.
    /// </summary>
    public const int MaxPayload = 32 << 20;

    /// <summary>
    /// The largest option payload we parse; names are at most 4096 bytes, so anything much bigger
    /// is a client we will not let make us allocate. Longer ones, up to <see cref="MaxPayload"/>,
    /// are read past and refused with <see cref="RepErrTooBig"/>.
    /// </summary>
    public const int MaxOptionLength = 64 << 10;

    /// <summary>
    /// NBD's error numbers are a fixed subset; errnos outside it (EROFS) are sent as the nearest
    /// one the client understands, as the spec asks (EPERM for a refused write, EIO otherwise).
    /// </summary>
    public static uint ToNbdError(Errno errno) => errno switch
    {
        Errno.EPERM or Errno.EROFS => EPerm,
        Errno.EIO => EIo,
        Errno.ENOMEM => ENoMem,
        Errno.EINVAL => EInval,
        Errno.ENOSPC => ENoSpc,
        Errno.EOVERFLOW => EOverflow,
        Errno.ENOTSUP => ENotSup,
        Errno.ESHUTDOWN => EShutdown,
        _ => EIo,
    };
}
