using System.Buffers.Binary;
using System.Text;
using static Nodes.Nbd.NbdProtocol;
using Step = Host.Tests.Nbd.NbdFuzzStep;

namespace Host.Tests.Nbd;

/// <summary>
/// Makes the fuzz cases. Each is a valid session (fixed newstyle, maybe structured replies and
/// metadata contexts, NBD_OPT_GO or NBD_OPT_EXPORT_NAME, a WRITE of the case's slot, a READ of it
/// back, NBD_CMD_DISC) with one named mutation, and the answer the protocol gives it: the spec's
/// (NetworkBlockDevice/nbd doc/proto.md), and QEMU's server's where the spec leaves a choice. Where
/// the session can go on after the mutation, it does, so a server that lost its place in the
/// stream shows at the next request. Case <c>i</c> of seed <c>s</c> is the same on every run.
/// </summary>
public sealed partial class NbdFuzzGenerator
{
    /// <summary>The writable export: the fuzz slots from 0, the control connection's region from <see cref="ControlOffset"/>.</summary>
    public const string Disk = "disk";

    /// <summary>A read-only export of zeroes.</summary>
    public const string ReadOnly = "ro";

    public const long DiskSize = 8 << 20;
    public const long ReadOnlySize = 1 << 20;
    public const long ControlOffset = 4 << 20;
    public const int SlotSize = 4096;

    private const ushort CmdCache = 5;
    private const ushort CmdFlagFastZero = 1 << 4;

    private static readonly (int Weight, string Family, Func<NbdFuzzGenerator, string> Apply)[] s_mutations =
    [
        (3, "unknown client flags", static g => g.UnknownClientFlags()),
        (3, "client flags cut", static g => g.ClientFlagsCut()),
        (6, "handshake cut", static g => g.HandshakeCut()),
        (3, "option without fixed newstyle", static g => g.OptionWithoutFixedNewstyle()),
        (4, "option magic", static g => g.BadOptionMagic()),
        (3, "option header cut", static g => g.OptionHeaderCut()),
        (4, "option length past 32 MiB", static g => g.OptionLengthPastLimit()),
        (1, "option data over 64 KiB", static g => g.OptionDataOverParsed()),
        (5, "unknown option", static g => g.UnknownOption()),
        (2, "STARTTLS", static g => g.StartTls()),
        (3, "option data not taken", static g => g.OptionDataNotTaken()),
        (2, "structured replies twice", static g => g.StructuredRepliesTwice()),
        (2, "SET_META_CONTEXT first", static g => g.SetMetaContextFirst()),
        (6, "meta context malformed", static g => g.MalformedMetaContext()),
        (2, "meta context unknown export", static g => g.MetaContextUnknownExport()),
        (5, "meta context queries", static g => g.MetaContextQueries()),
        (6, "GO/INFO malformed", static g => g.MalformedGo()),
        (2, "INFO requests", static g => g.InfoRequests()),
        (5, "option length lies", static g => g.OptionLengthLies()),
        (3, "EXPORT_NAME refused", static g => g.ExportNameRefused()),
        (2, "ABORT", static g => g.Abort()),
        (4, "request magic", static g => g.BadRequestMagic()),
        (4, "request header cut", static g => g.RequestHeaderCut()),
        (5, "unknown command", static g => g.UnknownCommand()),
        (3, "READ over max payload", static g => g.OversizedRead()),
        (1, "WRITE over max payload", static g => g.OversizedWrite()),
        (8, "past the end", static g => g.PastTheEnd()),
        (4, "read-only export", static g => g.WriteToReadOnly()),
        (8, "command flags", static g => g.BadCommandFlags()),
        (4, "BLOCK_STATUS refused", static g => g.BlockStatusRefused()),
        (5, "WRITE cut", static g => g.WriteCut()),
        (2, "DISC with garbage", static g => g.DiscWithGarbage()),
        (3, "DISC behind requests", static g => g.DiscBehindRequests()),
        (3, "hang-up with requests in flight", static g => g.HangupWithRequestsInFlight()),
        (3, "refusals pipelined", static g => g.PipelinedRefusals()),
        (2, "FLUSH with offset", static g => g.FlushWithOffset()),
        (4, "valid edges", static g => g.ValidEdge()),
    ];

    private static readonly int s_totalWeight = s_mutations.Sum(m => m.Weight);

    private readonly Random _rng;
    private readonly long _slot;
    private readonly List<Step> _steps = [];
    private string _export = Disk;
    private bool _structured;
    private int _contexts;
    private bool _transmitting;
    private bool _ended;
    private ulong _handle;
    private byte[] _slotData = new byte[SlotSize];

    private NbdFuzzGenerator(Random rng, long slot)
    {
        _rng = rng;
        _slot = slot;
    }

    /// <summary>Case <paramref name="index"/> of <paramref name="seed"/>, writing only at <paramref name="slot"/> of <see cref="Disk"/>.</summary>
    public static NbdFuzzCase Create(int seed, int index, long slot)
    {
        var generator = new NbdFuzzGenerator(new Random(CaseSeed(seed, index)), slot);
        var pick = generator._rng.Next(s_totalWeight);
        var (_, family, apply) = s_mutations.First(m => (pick -= m.Weight) < 0);
        var mutation = apply(generator);
        generator.Finish();
        return new NbdFuzzCase(index, family, mutation, slot, [.. generator._steps]);
    }

    /// <summary>
    /// SplitMix64's mixing of (seed, case): neighbouring cases get unrelated streams, where
    /// <see cref="Random"/> seeded with neighbouring numbers starts out much alike.
    /// </summary>
    private static int CaseSeed(int seed, int index)
    {
        unchecked
        {
            var z = (((ulong)(uint)seed << 32) | (uint)index) + 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return (int)(z ^ (z >> 31));
        }
    }

    private bool Writable => _export == Disk;

    private long ExportSize => Writable ? DiskSize : ReadOnlySize;

    /// <summary>Client flags, then (at random, unless told) structured replies and metadata contexts for the export this session will choose.</summary>
    private void Open(bool? structured = null, bool? readOnly = null)
    {
        _export = readOnly ?? _rng.Next(7) == 0 ? ReadOnly : Disk;
        Send(U32(ClientFlagsKnown));
        if (!(structured ?? _rng.Next(2) == 0))
        {
            return;
        }
        Send(Option(OptStructuredReply, []));
        ExpectOption(OptStructuredReply, RepAck);
        _structured = true;
        if (_rng.Next(3) == 0)
        {
            return;
        }
        var queries = new[] { "base:allocation", "qemu:allocation-depth" }.Where(_ => _rng.Next(3) != 0).ToArray();
        Send(Option(OptSetMetaContext, RawNbdClient.MetaContextData(_export, queries)));
        ExpectOption(OptSetMetaContext, RepAck, queries.Length);
        _contexts = queries.Length;
    }

    /// <summary>Opens the session, chooses its export and, on the writable one, writes the case's slot (acknowledged, so it must stay).</summary>
    private void Enter(bool? readOnly = null)
    {
        Open(readOnly: readOnly);
        Choose();
    }

    private void Choose()
    {
        if (_rng.Next(10) == 0)
        {
            Send(Option(OptExportName, Encoding.UTF8.GetBytes(_export)));
            _steps.Add(new Step.ExpectExportName(ExportSize));
        }
        else
        {
            Send(Option(OptGo, GoData(_export, _rng.Next(2) == 0 ? [] : [InfoBlockSize])));
            ExpectOption(OptGo, RepAck);
        }
        _transmitting = true;
        if (Writable)
        {
            var handle = NextHandle();
            var data = Bytes(SlotSize);
            _steps.Add(new Step.Request(CmdWrite, _rng.Next(2) == 0 ? CmdFlagFua : (ushort)0, handle, (ulong)_slot, SlotSize, data));
            _steps.Add(new Step.ExpectReply(handle, [0], Lands: data));
            _slotData = data;
        }
    }

    /// <summary>Where the mutation left the session open: on into transmission, the slot read back (the stream must still be in step), then NBD_CMD_DISC.</summary>
    private void Finish()
    {
        if (_ended)
        {
            return;
        }
        if (!_transmitting)
        {
            Choose();
        }
        var handle = NextHandle();
        _steps.Add(new Step.Request(CmdRead, 0, handle, (ulong)_slot, SlotSize));
        _steps.Add(new Step.ExpectReply(handle, [0], _slotData));
        Send(Header(CmdDisc, 0, NextHandle(), 0, 0));
        ExpectClose();
    }

    private void Refused(ushort command, ushort flags, ulong offset, uint length, uint error, byte[]? payload = null)
    {
        var handle = NextHandle();
        _steps.Add(new Step.Request(command, flags, handle, offset, length, payload));
        _steps.Add(new Step.ExpectReply(handle, [error]));
    }

    private void Send(byte[] bytes) => _steps.Add(new Step.Send(bytes));

    private void ExpectOption(uint option, params uint[] finals) => _steps.Add(new Step.ExpectOption(option, finals));

    private void ExpectOption(uint option, uint final, int contexts) => _steps.Add(new Step.ExpectOption(option, [final], contexts));

    private void ExpectClose(bool drain = false)
    {
        _steps.Add(new Step.ExpectClose(drain));
        _ended = true;
    }

    private void HalfCloseAndExpectClose()
    {
        _steps.Add(new Step.HalfClose());
        ExpectClose();
    }

    private void Hangup()
    {
        _steps.Add(new Step.Hangup());
        _ended = true;
    }

    private uint MetaOption() => _structured && _rng.Next(2) == 0 ? OptSetMetaContext : OptListMetaContext;

    /// <summary>A failed NBD_OPT_SET_META_CONTEXT still replaces the selection (spec): none is left.</summary>
    private void ForgetContextsIf(uint option)
    {
        if (option == OptSetMetaContext)
        {
            _contexts = 0;
        }
    }

    private (byte[] Name, string What) UnknownExportName() => _rng.Next(4) switch
    {
        0 => ([], "the empty (default) export name, which this server has none of"),
        1 => ([0xc3, 0x28, 0xa0, 0xa1], "an export name that is not UTF-8"),
        2 => (Encoding.UTF8.GetBytes(new string('x', MaxStringLength + 1 + _rng.Next(1000))), "an export name longer than 4096 bytes"),
        _ => (Encoding.UTF8.GetBytes($"nope{_rng.Next()}"), "an unknown export"),
    };

    /// <summary>A count or length larger than <paramref name="truth"/>: by a little, or by far.</summary>
    private uint LieAbove(uint truth) => _rng.Next(3) switch
    {
        0 => truth + 1,
        1 => truth + (uint)_rng.Next(2, 1 << 16),
        _ => (uint)_rng.NextInt64(Math.Max(truth + 1L, 1L << 31), uint.MaxValue + 1L),
    };

    private ulong NextHandle() => ++_handle;

    private T Pick<T>(params T[] choices) => choices[_rng.Next(choices.Length)];

    private byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        _rng.NextBytes(bytes);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>An option as it goes on the wire: magic, option, data length, data.</summary>
    public static byte[] Option(uint option, byte[] data)
    {
        var message = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(message, IHaveOpt);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)data.Length);
        data.CopyTo(message, 16);
        return message;
    }

    /// <summary>The data of NBD_OPT_GO and NBD_OPT_INFO: the export name, then the information requests.</summary>
    public static byte[] GoData(string export, params ushort[] infos)
    {
        var name = Encoding.UTF8.GetBytes(export);
        var data = new byte[4 + name.Length + 2 + (2 * infos.Length)];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)name.Length);
        name.CopyTo(data, 4);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4 + name.Length), (ushort)infos.Length);
        for (var i = 0; i < infos.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4 + name.Length + 2 + (2 * i)), infos[i]);
        }
        return data;
    }

    /// <summary>A request header as it goes on the wire.</summary>
    public static byte[] Header(ushort command, ushort flags, ulong handle, ulong offset, uint length)
    {
        var header = new byte[RequestSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), command);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), handle);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), offset);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), length);
        return header;
    }

    public static string OptionName(uint option) => option switch
    {
        OptExportName => "NBD_OPT_EXPORT_NAME",
        OptAbort => "NBD_OPT_ABORT",
        OptList => "NBD_OPT_LIST",
        OptStartTls => "NBD_OPT_STARTTLS",
        OptInfo => "NBD_OPT_INFO",
        OptGo => "NBD_OPT_GO",
        OptStructuredReply => "NBD_OPT_STRUCTURED_REPLY",
        OptListMetaContext => "NBD_OPT_LIST_META_CONTEXT",
        OptSetMetaContext => "NBD_OPT_SET_META_CONTEXT",
        _ => $"option {option}",
    };
}
