using System.Buffers.Binary;
using static Nodes.Nbd.NbdProtocol;
using Step = Host.Tests.Nbd.NbdFuzzStep;

namespace Host.Tests.Nbd;

/// <summary>The mutations of transmission: request headers, commands, flags, ranges, payloads and disconnects.</summary>
public sealed partial class NbdFuzzGenerator
{
    private string BadRequestMagic()
    {
        Enter();
        var magic = _rng.Next(3) switch
        {
            0 => RequestMagic ^ (1u << _rng.Next(32)),
            1 => Pick(SimpleReplyMagic, StructuredReplyMagic, (uint)(IHaveOpt >> 32), 0u),
            _ => (uint)_rng.Next(),
        };
        var header = Header(CmdRead, 0, NextHandle(), (ulong)_slot, SlotSize);
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        Send(header);
        ExpectClose();
        return $"request magic 0x{magic:x8}";
    }

    private string RequestHeaderCut()
    {
        Enter();
        var sent = _rng.Next(1, RequestSize);
        Send(Header(CmdRead, 0, NextHandle(), (ulong)_slot, SlotSize)[..sent]);
        if (_rng.Next(2) == 0)
        {
            Hangup();
            return $"hang-up after {sent} of {RequestSize} bytes of a request header";
        }
        HalfCloseAndExpectClose();
        return $"end of file after {sent} of {RequestSize} bytes of a request header";
    }

    private string UnknownCommand()
    {
        Enter();
        var command = _rng.Next(3) switch
        {
            0 => Pick(CmdCache, (ushort)8, (ushort)9, (ushort)10),
            1 => (ushort)_rng.Next(11, 64),
            _ => (ushort)_rng.Next(64, ushort.MaxValue + 1),
        };
        var length = (uint)_rng.NextInt64(0, uint.MaxValue + 1L);
        Refused(command, 0, (ulong)_rng.NextInt64(), length, EInval);
        return $"unknown command {command} (offset and length {length} are not looked at, no payload follows)";
    }

    private string OversizedRead()
    {
        Enter();
        var length = (uint)_rng.NextInt64(MaxPayload + 1L, uint.MaxValue + 1L);
        Refused(CmdRead, 0, 0, length, EInval);
        return $"READ of {length} bytes, more than the {MaxPayload}-byte maximum payload";
    }

    private string OversizedWrite()
    {
        Enter();
        var length = (uint)(MaxPayload + _rng.Next(1, 4097));
        // The payload follows whatever the server thinks of the request; skipped, the stream stays in step.
        Refused(CmdWrite, 0, 0, length, EInval, new byte[length]);
        return $"WRITE of {length} bytes, more than the {MaxPayload}-byte maximum payload, payload sent";
    }

    private string PastTheEnd()
    {
        Enter();
        var command = Pick(CmdRead, CmdWrite, CmdTrim, CmdWriteZeroes, CmdBlockStatus);
        var length = command == CmdWrite ? (uint)_rng.Next(1, 65537) : (uint)_rng.NextInt64(1, 1L << 32);
        var size = (ulong)ExportSize;
        var offset = _rng.Next(4) switch
        {
            0 when length <= size => size - length + (ulong)_rng.NextInt64(1, (long)Math.Min(length, size) + 1),
            1 => size + (ulong)_rng.Next(0, 1 << 20),
            2 => (ulong)long.MaxValue - (ulong)_rng.Next(0, int.MaxValue),
            _ => ulong.MaxValue - (ulong)_rng.Next(0, int.MaxValue),
        };
        var writes = command is CmdWrite or CmdTrim or CmdWriteZeroes;
        uint error = (writes, Writable, command) switch
        {
            // Read-only before range, as in QEMU; the spec asks EPERM for writes to a read-only export.
            (true, false, _) => EPerm,
            (_, _, CmdWrite or CmdWriteZeroes) => ENoSpc,
            _ => EInval,
        };
        if (command == CmdRead && length > MaxPayload)
        {
            error = EInval;
        }
        Refused(command, 0, offset, length, error, command == CmdWrite ? Bytes((int)length) : null);
        return $"{CommandName(command)} at {offset}+{length}, past the end of the {size}-byte export '{_export}'";
    }

    private string WriteToReadOnly()
    {
        Enter(readOnly: true);
        var command = Pick(CmdWrite, CmdTrim, CmdWriteZeroes);
        Refused(command, 0, (ulong)_slot, SlotSize, EPerm, command == CmdWrite ? Bytes(SlotSize) : null);
        return $"{CommandName(command)} on the read-only export";
    }

    private string BadCommandFlags()
    {
        Enter();
        var command = Pick(CmdRead, CmdWrite, CmdFlush, CmdTrim, CmdWriteZeroes, CmdBlockStatus);
        var invalid = new List<ushort> { CmdFlagFastZero, (ushort)(1 << _rng.Next(5, 16)) };
        if (command != CmdRead || !_structured)
        {
            invalid.Add(CmdFlagDf);
        }
        if (command != CmdWriteZeroes)
        {
            invalid.Add(CmdFlagNoHole);
        }
        if (command != CmdBlockStatus)
        {
            invalid.Add(CmdFlagReqOne);
        }
        var flags = (ushort)(invalid[_rng.Next(invalid.Count)] | (_rng.Next(2) == 0 ? CmdFlagFua : 0));
        var writes = command is CmdWrite or CmdTrim or CmdWriteZeroes;
        var offset = command == CmdFlush ? 0UL : (ulong)_slot;
        var length = command == CmdFlush ? 0u : SlotSize;
        // The spec: EINVAL for a flag a command does not take; a write to a read-only export is EPERM first, as in QEMU.
        Refused(command, flags, offset, length, writes && !Writable ? EPerm : EInval, command == CmdWrite ? Bytes(SlotSize) : null);
        return $"{CommandName(command)} with flags 0x{flags:x4}{(_structured ? "" : " (no structured replies)")}";
    }

    private string BlockStatusRefused()
    {
        Enter();
        if (_contexts == 0 || _rng.Next(2) == 0)
        {
            var length = _contexts == 0 ? SlotSize : 0u;
            Refused(CmdBlockStatus, 0, (ulong)_slot, length, EInval);
            return _contexts == 0 ? "BLOCK_STATUS without a metadata context selected" : "BLOCK_STATUS of length 0";
        }
        var handle = NextHandle();
        _steps.Add(new Step.Request(CmdBlockStatus, CmdFlagReqOne, handle, (ulong)_slot, (uint)(ExportSize - _slot)));
        _steps.Add(new Step.ExpectReply(handle, [0]));
        return "BLOCK_STATUS with REQ_ONE to the end of the export";
    }

    private string WriteCut()
    {
        Enter(readOnly: false);
        var before = _slotData;
        var payload = Bytes(SlotSize);
        var sent = _rng.Next(0, SlotSize);
        Send([.. Header(CmdWrite, 0, NextHandle(), (ulong)_slot, SlotSize), .. payload.AsSpan(0, sent)]);
        string how;
        if (_rng.Next(2) == 0)
        {
            Hangup();
            how = "hang-up";
        }
        else
        {
            HalfCloseAndExpectClose();
            how = "end of file";
        }
        _steps.Add(new Step.CheckSlot([before]));
        return $"{how} after {sent} of {SlotSize} bytes of a WRITE payload (it must not land)";
    }

    private string DiscWithGarbage()
    {
        Enter();
        var flags = (ushort)_rng.Next(0, ushort.MaxValue + 1);
        var length = (uint)_rng.NextInt64(0, uint.MaxValue + 1L);
        Send(Header(CmdDisc, flags, NextHandle(), (ulong)_rng.NextInt64(), length));
        ExpectClose();
        return $"DISC with flags 0x{flags:x4} and length {length} (no reply, no payload)";
    }

    private string DiscBehindRequests()
    {
        Enter();
        var count = _rng.Next(1, 40);
        var replies = new List<Step.ExpectReply>();
        for (var i = 0; i < count; i++)
        {
            var handle = NextHandle();
            var length = _rng.Next(1, SlotSize + 1);
            _steps.Add(new Step.Request(CmdRead, 0, handle, (ulong)_slot, (uint)length));
            replies.Add(new Step.ExpectReply(handle, [0], _slotData[..length]));
        }
        Send(Header(CmdDisc, 0, NextHandle(), 0, 0));
        _steps.AddRange(replies.OrderBy(_ => _rng.Next()));
        ExpectClose();
        return $"DISC right behind {count} pipelined READs (the spec: those are answered first)";
    }

    private string HangupWithRequestsInFlight()
    {
        Enter();
        var count = _rng.Next(1, 100);
        for (var i = 0; i < count; i++)
        {
            _steps.Add(new Step.Request(CmdRead, 0, NextHandle(), (ulong)_slot, (uint)_rng.Next(1, 1 << 20)));
        }
        Hangup();
        return $"hang-up with {count} READs of up to 1 MiB in flight";
    }

    private string PipelinedRefusals()
    {
        Enter();
        var count = _rng.Next(65, 201);
        var expected = new List<Step.ExpectReply>();
        for (var i = 0; i < count; i++)
        {
            var handle = NextHandle();
            var (command, flags, offset, length, error) = _rng.Next(5) switch
            {
                0 => ((ushort)_rng.Next(8, 1000), (ushort)0, 0UL, 0u, EInval),
                1 => (CmdRead, (ushort)0, 0UL, (uint)MaxPayload + 1, EInval),
                2 => (CmdRead, (ushort)0, (ulong)ExportSize, 1u, EInval),
                3 => (CmdFlush, CmdFlagFastZero, 0UL, 0u, EInval),
                _ => (CmdTrim, (ushort)0, (ulong)ExportSize - 1, 2u, Writable ? EInval : EPerm),
            };
            _steps.Add(new Step.Request(command, flags, handle, offset, length));
            expected.Add(new Step.ExpectReply(handle, [error]));
        }
        // Replies come in any order; waiting for them in another one says so.
        _steps.AddRange(expected.OrderBy(_ => _rng.Next()));
        return $"{count} refused requests pipelined at once (more than the server keeps in flight)";
    }

    private string FlushWithOffset()
    {
        Enter();
        var offset = (ulong)_rng.NextInt64();
        var length = (uint)_rng.NextInt64(0, uint.MaxValue + 1L);
        var handle = NextHandle();
        _steps.Add(new Step.Request(CmdFlush, 0, handle, offset, length));
        // Offset and length are reserved for FLUSH: the spec does not say what a server does with them.
        _steps.Add(new Step.ExpectReply(handle, [0, EInval]));
        return $"FLUSH at {offset}+{length} (reserved fields not zero)";
    }

    private string ValidEdge()
    {
        Enter();
        var handle = NextHandle();
        switch (_rng.Next(4))
        {
            case 0:
                var command = Pick(CmdRead, CmdFlush, CmdWriteZeroes);
                var writes = command == CmdWriteZeroes;
                var (offset, length) = command == CmdFlush ? (0UL, 0u) : ((ulong)_slot, 512u);
                _steps.Add(new Step.Request(command, CmdFlagFua, handle, offset, length));
                _steps.Add(new Step.ExpectReply(handle, [writes && !Writable ? EPerm : 0u], command == CmdRead ? _slotData[..512] : null));
                if (writes && Writable)
                {
                    Array.Clear(_slotData, 0, 512);
                }
                return $"{CommandName(command)} with FUA (every command may carry it)";
            case 1:
                _steps.Add(new Step.Request(CmdRead, 0, handle, (ulong)ExportSize, 0));
                _steps.Add(new Step.ExpectReply(handle, [0], []));
                return "READ of 0 bytes at the end of the export";
            case 2 when _structured:
                _steps.Add(new Step.Request(CmdRead, CmdFlagDf, handle, (ulong)_slot, SlotSize));
                _steps.Add(new Step.ExpectReply(handle, [0], _slotData));
                return "READ with DF";
            default:
                _steps.Add(new Step.Request(CmdWrite, 0, handle, (ulong)_slot, 0, []));
                _steps.Add(new Step.ExpectReply(handle, [Writable ? 0u : EPerm]));
                return "WRITE of 0 bytes";
        }
    }
}
