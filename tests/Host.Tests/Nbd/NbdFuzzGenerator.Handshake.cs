using System.Buffers.Binary;
using System.Text;
using static Nodes.Nbd.NbdProtocol;
using Step = Host.Tests.Nbd.NbdFuzzStep;

namespace Host.Tests.Nbd;

/// <summary>The mutations of the handshake: client flags, option headers and the data of each option.</summary>
public sealed partial class NbdFuzzGenerator
{
    private string UnknownClientFlags()
    {
        var flags = ClientFlagsKnown | (1u << _rng.Next(2, 32)) | (uint)_rng.Next() << 2;
        Send(U32(flags));
        ExpectClose();
        return $"client flags 0x{flags:x}, with bits the server does not know";
    }

    private string ClientFlagsCut()
    {
        var sent = _rng.Next(0, 4);
        Send(U32(ClientFlagsKnown)[..sent]);
        HalfCloseAndExpectClose();
        return $"client flags cut after {sent} of 4 bytes, then end of file";
    }

    private string HandshakeCut()
    {
        var handshake = new List<byte>(U32(ClientFlagsKnown));
        if (_rng.Next(2) == 0)
        {
            handshake.AddRange(Option(OptStructuredReply, []));
            handshake.AddRange(Option(OptSetMetaContext, RawNbdClient.MetaContextData(Disk, "base:allocation")));
        }
        handshake.AddRange(Option(OptGo, GoData(Disk)));
        var sent = _rng.Next(1, handshake.Count);
        Send([.. handshake.Take(sent)]);
        if (_rng.Next(2) == 0)
        {
            Hangup();
            return $"hang-up after {sent} of {handshake.Count} handshake bytes";
        }
        // Options that arrived whole are answered before the server sees the end of file.
        _steps.Add(new Step.HalfClose());
        ExpectClose(drain: true);
        return $"end of file after {sent} of {handshake.Count} handshake bytes";
    }

    private string OptionWithoutFixedNewstyle()
    {
        var flags = _rng.Next(2) == 0 ? 0u : FlagNoZeroes;
        var option = Pick(OptList, OptGo, OptInfo, OptStructuredReply, OptAbort, OptSetMetaContext, 0x4242u);
        Send(U32(flags));
        Send(Option(option, option is OptGo or OptInfo ? GoData(Disk) : []));
        ExpectClose();
        return $"client flags 0x{flags:x} (no FIXED_NEWSTYLE), then {OptionName(option)}, which such a client cannot be refused";
    }

    private string BadOptionMagic()
    {
        Open();
        var magic = _rng.Next(3) switch
        {
            0 => IHaveOpt ^ (1UL << _rng.Next(64)),
            1 => ((ulong)RequestMagic << 32) | (uint)_rng.Next(),
            _ => (ulong)_rng.NextInt64(),
        };
        var option = Option(OptGo, GoData(_export));
        BinaryPrimitives.WriteUInt64BigEndian(option, magic);
        Send(option);
        ExpectClose();
        return $"option magic 0x{magic:x16}";
    }

    private string OptionHeaderCut()
    {
        Open();
        var sent = _rng.Next(1, 16);
        Send(Option(OptGo, GoData(_export))[..sent]);
        HalfCloseAndExpectClose();
        return $"option header cut after {sent} of 16 bytes, then end of file";
    }

    private string OptionLengthPastLimit()
    {
        Open();
        var option = Pick(OptExportName, OptGo, OptInfo, OptList, OptSetMetaContext, OptListMetaContext, 0x4242u);
        var length = (uint)_rng.NextInt64(MaxPayload + 1L, uint.MaxValue + 1L);
        var header = Option(option, []);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), length);
        Send([.. header, .. Bytes(_rng.Next(0, 64))]);
        // The server must not wait for (or allocate) the data: the answer is a close, at once.
        ExpectClose();
        return $"{OptionName(option)} announcing {length} bytes of data (past 32 MiB), which never come";
    }

    private string OptionDataOverParsed()
    {
        Open();
        var option = Pick(OptExportName, OptGo, OptInfo, OptList, OptStructuredReply, OptSetMetaContext, OptListMetaContext, 0x4242u);
        var length = _rng.Next(4) == 0 ? _rng.Next(MaxOptionLength + 1, 1 << 20) : MaxOptionLength + _rng.Next(1, 4096);
        Send(Option(option, Bytes(length)));
        if (option == OptExportName)
        {
            // No error reply exists for NBD_OPT_EXPORT_NAME.
            ExpectClose();
        }
        else
        {
            // Up to 32 MiB is not an attack (spec, "Block size constraints"): skipped and refused.
            ExpectOption(option, RepErrTooBig);
            if (option == OptSetMetaContext)
            {
                _contexts = 0;
            }
        }
        return $"{OptionName(option)} with {length} bytes of data, more than the {MaxOptionLength} the server parses";
    }

    private string UnknownOption()
    {
        Open();
        var option = _rng.Next(4) switch
        {
            0 => Pick(0u, 4u, 11u, 12u),
            1 => (uint)_rng.Next(13, 1 << 16),
            2 => 0x80000000u | (uint)_rng.Next(),
            _ => (uint)_rng.Next(13, int.MaxValue),
        };
        var data = Bytes(_rng.Next(2) == 0 ? 0 : _rng.Next(1, 4097));
        Send(Option(option, data));
        ExpectOption(option, RepErrUnsup);
        return $"unknown option {option} with {data.Length} bytes of data";
    }

    private string StartTls()
    {
        Open();
        Send(Option(OptStartTls, []));
        ExpectOption(OptStartTls, RepErrPolicy);
        return "NBD_OPT_STARTTLS on a server without TLS";
    }

    private string OptionDataNotTaken()
    {
        Open();
        var option = Pick(OptList, OptStructuredReply);
        var data = Bytes(_rng.Next(1, 65));
        Send(Option(option, data));
        ExpectOption(option, RepErrInvalid);
        return $"{OptionName(option)} with {data.Length} bytes of data it does not take";
    }

    private string StructuredRepliesTwice()
    {
        Open(structured: true);
        Send(Option(OptStructuredReply, []));
        ExpectOption(OptStructuredReply, RepErrInvalid);
        return "NBD_OPT_STRUCTURED_REPLY a second time";
    }

    private string SetMetaContextFirst()
    {
        Open(structured: false);
        Send(Option(OptSetMetaContext, RawNbdClient.MetaContextData(_export, "base:allocation")));
        ExpectOption(OptSetMetaContext, RepErrInvalid);
        return "NBD_OPT_SET_META_CONTEXT before NBD_OPT_STRUCTURED_REPLY";
    }

    private string MalformedMetaContext()
    {
        Open();
        var option = MetaOption();
        var queries = new[] { "base:allocation", "qemu:allocation-depth", "base:" }.Take(_rng.Next(0, 4)).ToArray();
        var data = RawNbdClient.MetaContextData(_export, queries);
        var nameLength = Encoding.UTF8.GetByteCount(_export);
        string what;
        switch (_rng.Next(5))
        {
            case 0:
                what = CutShort(ref data);
                break;
            case 1:
                what = NameLengthPast(data, data.Length - 4);
                break;
            case 2:
                var count = LieAbove((uint)queries.Length);
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4 + nameLength), count);
                what = $"{count} queries announced, {queries.Length} sent";
                break;
            case 3 when queries.Length > 0:
                var first = 4 + nameLength + 4;
                var queryLie = LieAbove((uint)(data.Length - first - 4));
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(first), queryLie);
                what = $"query length {queryLie} with {data.Length - first - 4} bytes left";
                break;
            default:
                what = $"{BytesAfter(ref data)} after the last of {queries.Length} queries";
                break;
        }
        Send(Option(option, data));
        ExpectOption(option, RepErrInvalid);
        ForgetContextsIf(option);
        return $"{OptionName(option)}: {what}";
    }

    private string MetaContextUnknownExport()
    {
        Open();
        var option = MetaOption();
        var (name, what) = UnknownExportName();
        var data = new List<byte>(U32((uint)name.Length));
        data.AddRange(name);
        data.AddRange(U32(1));
        data.AddRange(U32(15));
        data.AddRange("base:allocation"u8.ToArray());
        Send(Option(option, [.. data]));
        // A name past the spec's 4096 bytes: QEMU calls it INVALID, we look it up and find nothing.
        ExpectOption(option, name.Length > MaxStringLength ? [RepErrUnknown, RepErrInvalid] : [RepErrUnknown]);
        ForgetContextsIf(option);
        return $"{OptionName(option)} for {what}";
    }

    /// <summary>
    /// Queries that select nothing or the same context again: ignored, as the spec wants for unknown
    /// namespaces and QEMU does for names past 4096 bytes; up to thousands of them in one option.
    /// </summary>
    private string MetaContextQueries()
    {
        Open();
        var option = MetaOption();
        var listing = option == OptListMetaContext;
        var count = _rng.Next(4) == 0 ? _rng.Next(1000, 2400) : _rng.Next(0, 8);
        var queries = new List<byte[]>();
        var selected = (Base: false, Depth: false);
        var longest = 0;
        for (var i = 0; i < count; i++)
        {
            var query = _rng.Next(9) switch
            {
                0 => "base:allocation"u8.ToArray(),
                1 => "qemu:allocation-depth"u8.ToArray(),
                2 => "base:"u8.ToArray(),
                3 => "qemu:"u8.ToArray(),
                4 => Encoding.UTF8.GetBytes($"x-fuzz:{_rng.Next()}"),
                5 => "nocolon"u8.ToArray(),
                6 => [],
                7 => [0xc3, 0x28, (byte)':', 0xff],
                _ => count < 8 ? [.. "base:allocation"u8, .. new byte[MaxStringLength]] : "qemu:dirty-bitmap:none"u8.ToArray(),
            };
            longest = Math.Max(longest, query.Length);
            var text = Encoding.UTF8.GetString(query);
            selected.Base |= text == "base:allocation" || (listing && text == "base:");
            selected.Depth |= text == "qemu:allocation-depth" || (listing && text == "qemu:");
            queries.Add(query);
        }
        if (listing && count == 0)
        {
            selected = (true, true);
        }
        var data = new List<byte>(U32((uint)Encoding.UTF8.GetByteCount(_export)));
        data.AddRange(Encoding.UTF8.GetBytes(_export));
        data.AddRange(U32((uint)count));
        foreach (var query in queries)
        {
            data.AddRange(U32((uint)query.Length));
            data.AddRange(query);
        }
        var contexts = (selected.Base ? 1 : 0) + (selected.Depth ? 1 : 0);
        Send(Option(option, [.. data]));
        ExpectOption(option, RepAck, contexts);
        if (option == OptSetMetaContext)
        {
            _contexts = contexts;
        }
        return $"{OptionName(option)} with {count} queries in {data.Count} bytes (longest {longest}), selecting {contexts} contexts";
    }

    private string MalformedGo()
    {
        Open();
        var option = Pick(OptGo, OptInfo);
        var infos = Enumerable.Range(0, _rng.Next(0, 4)).Select(_ => (ushort)_rng.Next(0, 5)).ToArray();
        var data = GoData(_export, infos);
        var nameLength = Encoding.UTF8.GetByteCount(_export);
        string what;
        var finals = new[] { RepErrInvalid };
        switch (_rng.Next(5))
        {
            case 0:
                what = CutShort(ref data);
                break;
            case 1:
                what = NameLengthPast(data, data.Length - 6);
                break;
            case 2:
                var count = (ushort)Math.Min(ushort.MaxValue, LieAbove((uint)infos.Length));
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4 + nameLength), count);
                what = $"{count} information requests announced, {infos.Length} sent";
                break;
            case 3:
                what = $"{BytesAfter(ref data)} after the information requests";
                break;
            default:
                var (name, unknown) = UnknownExportName();
                data = [.. U32((uint)name.Length), .. name, 0, 0];
                what = unknown;
                // A name past the spec's 4096 bytes: QEMU calls it INVALID, we look it up and find nothing.
                finals = name.Length > MaxStringLength ? [RepErrUnknown, RepErrInvalid] : [RepErrUnknown];
                break;
        }
        Send(Option(option, data));
        ExpectOption(option, finals);
        return $"{OptionName(option)}: {what}";
    }

    private string InfoRequests()
    {
        Open();
        var infos = Enumerable.Range(0, _rng.Next(1, 20)).Select(_ => (ushort)_rng.Next(0, ushort.MaxValue + 1)).ToArray();
        Send(Option(OptInfo, GoData(_export, infos)));
        ExpectOption(OptInfo, RepAck);
        return $"NBD_OPT_INFO with {infos.Length} information requests, unknown ones among them (ignored, as the spec wants)";
    }

    private string OptionLengthLies()
    {
        Open();
        var option = _structured ? Pick(OptGo, OptInfo, OptSetMetaContext, OptListMetaContext) : Pick(OptGo, OptInfo, OptListMetaContext);
        var data = option is OptGo or OptInfo ? GoData(_export) : RawNbdClient.MetaContextData(_export, "base:allocation");
        // Fewer than the 8 bytes of the next option's magic, so the server reads a bad magic next.
        var lie = _rng.Next(1, 8);
        var shorter = _rng.Next(2) == 0;
        var declared = (uint)(shorter ? data.Length - lie : data.Length + lie);
        var message = Option(option, data);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), declared);
        Send(message);
        Send(Option(OptGo, GoData(_export)));
        ExpectOption(option, RepErrInvalid);
        ExpectClose();
        return $"{OptionName(option)} whose length says {declared} for {data.Length} bytes of data, then NBD_OPT_GO";
    }

    private string ExportNameRefused()
    {
        Open();
        var (name, what) = UnknownExportName();
        Send(Option(OptExportName, name));
        ExpectClose();
        return $"NBD_OPT_EXPORT_NAME for {what} (no error reply exists: the server closes)";
    }

    private string Abort()
    {
        Open();
        var data = Bytes(_rng.Next(2) == 0 ? 0 : _rng.Next(1, 64));
        Send(Option(OptAbort, data));
        ExpectOption(OptAbort, RepAck);
        ExpectClose();
        return $"NBD_OPT_ABORT with {data.Length} bytes of data";
    }

    /// <summary>Cuts <paramref name="data"/> short somewhere; says where.</summary>
    private string CutShort(ref byte[] data)
    {
        var kept = _rng.Next(0, data.Length);
        var what = $"data cut after {kept} of {data.Length} bytes";
        data = data[..kept];
        return what;
    }

    /// <summary>Makes the name length at the head of <paramref name="data"/> reach past the <paramref name="room"/> bytes the name has.</summary>
    private string NameLengthPast(byte[] data, int room)
    {
        var lie = LieAbove((uint)room);
        BinaryPrimitives.WriteUInt32BigEndian(data, lie);
        return $"export name length {lie} with {room} bytes for it";
    }

    /// <summary>Adds a few bytes after the end of <paramref name="data"/>; says how many.</summary>
    private string BytesAfter(ref byte[] data)
    {
        var extra = Bytes(_rng.Next(1, 9));
        data = [.. data, .. extra];
        return $"{extra.Length} bytes";
    }
}
