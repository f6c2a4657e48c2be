using System.Buffers.Binary;
using System.Net.Security;
using System.Text;
using Actors.IoThreads;
using Nodes.Graph;
using Nodes.Runtime;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Nbd;

internal sealed partial class NbdConnection
{
    private bool _noZeroes;

    /// <summary>
    /// The fixed newstyle handshake: our greeting, the client's flags, then options until the client
    /// picks an export (OPT_GO, OPT_EXPORT_NAME) or leaves. Returns the chosen export, or null
    /// when the client ended the handshake without one. Allocations here are once per connection.
    /// </summary>
    private async Task<BlockExport?> NegotiateAsync()
    {
        var scratch = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(scratch, NbdMagic);
        BinaryPrimitives.WriteUInt64BigEndian(scratch.AsSpan(8), IHaveOpt);
        BinaryPrimitives.WriteUInt16BigEndian(scratch.AsSpan(16), FlagFixedNewstyle | FlagNoZeroes);
        await WriteAllAsync(scratch);

        await ReadExactlyAsync(scratch.AsMemory(0, 4));
        var clientFlags = BinaryPrimitives.ReadUInt32BigEndian(scratch);
        if ((clientFlags & ~ClientFlagsKnown) != 0)
        {
            // The spec: a server MUST close when a client sets flags it does not know.
            throw new NbdProtocolException($"unknown client flags 0x{clientFlags:x}");
        }
        var fixedNewstyle = (clientFlags & FlagFixedNewstyle) != 0;
        _noZeroes = (clientFlags & FlagNoZeroes) != 0;

        var header = new byte[16];
        while (true)
        {
            await ReadExactlyAsync(header);
            if (BinaryPrimitives.ReadUInt64BigEndian(header) != IHaveOpt)
            {
                throw new NbdProtocolException("bad option magic");
            }
            var option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
            if (length > MaxOptionLength)
            {
                await RefuseLongOptionAsync(option, length, fixedNewstyle);
                continue;
            }
            var data = new byte[length];
            await ReadExactlyAsync(data);
            if (!fixedNewstyle && option != OptExportName)
            {
                // Without fixed newstyle the client cannot parse an error reply; closing is all we may do.
                throw new NbdProtocolException($"option {option} from a client without fixed newstyle");
            }
            if (_tlsCreds is not null && _tls is null && option is not (OptStartTls or OptAbort))
            {
                await RefuseBeforeTlsAsync(option);
                continue;
            }
            switch (option)
            {
                case OptExportName:
                    return await ExportNameAsync(data);
                case OptAbort:
                    await SendOptionReplyAsync(option, RepAck, []);
                    return null;
                case OptList:
                    await ListAsync(data);
                    break;
                case OptInfo:
                case OptGo:
                    var chosen = await InfoAsync(option, data);
                    if (option == OptGo && chosen is not null)
                    {
                        return chosen;
                    }
                    break;
                case OptStructuredReply:
                    await StructuredReplyAsync(data);
                    break;
                case OptListMetaContext:
                case OptSetMetaContext:
                    await MetaContextAsync(option, data);
                    break;
                case OptStartTls:
                    await StartTlsAsync(data);
                    break;
                default:
                    await SendOptionErrorAsync(option, RepErrUnsup, $"option {option} is not supported");
                    break;
            }
        }
    }

    /// <summary>
    /// An option with more data than we parse. The spec asks that payloads up to 32 MiB not be taken
    /// for an attack, so that much is read past (a piece at a time, never held whole) and refused
    /// with NBD_REP_ERR_TOO_BIG. Beyond it, or where no error reply exists (NBD_OPT_EXPORT_NAME, a
    /// client without fixed newstyle), the connection is closed without reading on.
    /// </summary>
    private async Task RefuseLongOptionAsync(uint option, uint length, bool fixedNewstyle)
    {
        if (length > MaxPayload || option == OptExportName || !fixedNewstyle)
        {
            throw new NbdProtocolException($"option {option} of {length} bytes");
        }
        var sink = new byte[MaxOptionLength];
        for (var left = (int)length; left > 0; left -= sink.Length)
        {
            await ReadExactlyAsync(sink.AsMemory(0, Math.Min(left, sink.Length)));
        }
        if (option == OptSetMetaContext)
        {
            ForgetMetaContexts();
        }
        await SendOptionErrorAsync(option, RepErrTooBig, $"option {option} has {length} bytes of data; this server takes up to {MaxOptionLength}");
    }

    /// <summary>
    /// FORCEDTLS (the spec's name): before STARTTLS every option but ABORT is refused with
    /// NBD_REP_ERR_TLS_REQD, so nothing about the exports, let alone their data, crosses in plain
    /// text. NBD_OPT_EXPORT_NAME has no error reply: the connection closes.
    /// </summary>
    private Task RefuseBeforeTlsAsync(uint option) => option == OptExportName
        ? throw new NbdProtocolException("NBD_OPT_EXPORT_NAME before TLS on a server that requires it")
        : SendOptionErrorAsync(option, RepErrTlsReqd, $"Option 0x{option:x} not permitted before TLS");

    /// <summary>
    /// NBD_OPT_STARTTLS: acknowledged, then the TLS handshake on the same socket, and the rest of
    /// the connection over it. A failed handshake closes the connection: past the ACK there is no
    /// going back to plain text. Without credentials, and once TLS runs, QEMU's refusals.
    /// </summary>
    private async Task StartTlsAsync(byte[] data)
    {
        if (data.Length != 0)
        {
            await SendOptionErrorAsync(OptStartTls, RepErrInvalid, "NBD_OPT_STARTTLS takes no data");
            return;
        }
        if (_tlsCreds is null)
        {
            await SendOptionErrorAsync(OptStartTls, RepErrPolicy, "TLS not configured");
            return;
        }
        if (_tls is not null)
        {
            await SendOptionErrorAsync(OptStartTls, RepErrInvalid, "TLS already enabled");
            return;
        }
        await SendOptionReplyAsync(OptStartTls, RepAck, []);
        var tls = new SslStream(new LoopSocketStream(_io), leaveInnerStreamOpen: true);
        try
        {
            await tls.AuthenticateAsServerAsync(_tlsCreds.ServerOptions());
        }
        catch
        {
            tls.Dispose();
            throw;
        }
        _tls = tls;
        NbdLog.TlsStarted(_logger, _client, tls.SslProtocol.ToString(), tls.RemoteCertificate?.Subject ?? "no client certificate");
    }

    /// <summary>NBD_OPT_EXPORT_NAME: no error reply exists, so an unknown export closes the connection.</summary>
    private async Task<BlockExport?> ExportNameAsync(byte[] data)
    {
        var name = DecodeName(data);
        var export = name is null ? null : _runtime.FindExportByName(name);
        var size = export is null ? null : await SizeOfAsync(export);
        if (export is null || size is null)
        {
            throw new NbdProtocolException($"NBD_OPT_EXPORT_NAME for unknown export '{name}'");
        }
        var reply = new byte[_noZeroes ? 10 : 134];
        BinaryPrimitives.WriteUInt64BigEndian(reply, (ulong)size.Value);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), TransmissionFlags(export));
        Choose(export);
        _exportId = export.Id;
        await WriteAllAsync(reply);
        return export;
    }

    private async Task ListAsync(byte[] data)
    {
        if (data.Length != 0)
        {
            await SendOptionErrorAsync(OptList, RepErrInvalid, "NBD_OPT_LIST takes no data");
            return;
        }
        foreach (var export in _runtime.Exports.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var name = Encoding.UTF8.GetBytes(export.Name);
            var payload = new byte[4 + name.Length];
            BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)name.Length);
            name.CopyTo(payload, 4);
            await SendOptionReplyAsync(OptList, RepServer, payload);
        }
        await SendOptionReplyAsync(OptList, RepAck, []);
    }

    /// <summary>NBD_OPT_INFO and NBD_OPT_GO: the export's size and flags, its block sizes if asked, then ACK.</summary>
    private async Task<BlockExport?> InfoAsync(uint option, byte[] data)
    {
        // Layout: u32 name length, name, u16 number of info requests, u16 each.
        if (data.Length < 6 || BinaryPrimitives.ReadUInt32BigEndian(data) is var nameLength && nameLength > data.Length - 6)
        {
            await SendOptionErrorAsync(option, RepErrInvalid, "malformed export name");
            return null;
        }
        var requestsAt = 4 + (int)nameLength;
        var requests = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(requestsAt));
        if (data.Length != requestsAt + 2 + (2 * requests))
        {
            await SendOptionErrorAsync(option, RepErrInvalid, "malformed information requests");
            return null;
        }
        var wantsBlockSize = false;
        for (var i = 0; i < requests; i++)
        {
            wantsBlockSize |= BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(requestsAt + 2 + (2 * i))) == InfoBlockSize;
        }
        var name = DecodeName(data.AsSpan(4, (int)nameLength));
        var export = name is null ? null : _runtime.FindExportByName(name);
        var size = export is null ? null : await SizeOfAsync(export);
        if (export is null || size is null)
        {
            await SendOptionErrorAsync(option, RepErrUnknown, $"export '{name}' not found");
            return null;
        }

        var info = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(info, InfoExport);
        BinaryPrimitives.WriteUInt64BigEndian(info.AsSpan(2), (ulong)size.Value);
        BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), TransmissionFlags(export));
        await SendOptionReplyAsync(option, RepInfo, info);
        if (wantsBlockSize)
        {
            // Any alignment works (the node does read-modify-write); 4 KiB is what is fast; one
            // request carries at most MaxPayload.
            var sizes = new byte[14];
            BinaryPrimitives.WriteUInt16BigEndian(sizes, InfoBlockSize);
            BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(2), 1);
            BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(6), 4096);
            BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(10), MaxPayload);
            await SendOptionReplyAsync(option, RepInfo, sizes);
        }
        if (option == OptGo)
        {
            // Attached before the client hears so: block-export-del then counts it.
            Choose(export);
        }
        await SendOptionReplyAsync(option, RepAck, []);
        return export;
    }

    /// <summary>The size of the node serving <paramref name="export"/>, read on its IoThread; null when it is not open here.</summary>
    private async Task<long?> SizeOfAsync(BlockExport export)
    {
        try
        {
            return await _runtime.RunExportRequestAsync(export.Id, static node => ValueTask.FromResult(node.Length));
        }
        catch (GraphException)
        {
            return null;
        }
    }

    /// <summary>
    /// Every node supports flush, FUA, trim and write zeroes (a driver without them emulates or
    /// ignores them); several connections see each other's flushed writes because they all reach
    /// the same node, hence CAN_MULTI_CONN. DF only means something to a client of structured replies.
    /// </summary>
    private ushort TransmissionFlags(BlockExport export) => (ushort)(TxHasFlags | TxSendFlush | TxSendFua | TxSendTrim
        | TxSendWriteZeroes | TxCanMultiConn | (export.Writable ? 0 : TxReadOnly) | (_structuredReplies ? TxSendDf : 0));

    /// <summary>
    /// The export transmission will run on. The contexts set earlier stay selected only if they
    /// were set for this export (the spec's rule for BLOCK_STATUS).
    /// </summary>
    private void Choose(BlockExport export)
    {
        _exportId = export.Id;
        _contexts = _metaExport == export.Name ? _metaContexts : NbdMetaContexts.None;
    }

    private static string? DecodeName(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private Task SendOptionErrorAsync(uint option, uint error, string message) =>
        SendOptionReplyAsync(option, error, Encoding.UTF8.GetBytes(message));

    private async Task SendOptionReplyAsync(uint option, uint type, byte[] payload)
    {
        var reply = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt64BigEndian(reply, OptionReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(16), (uint)payload.Length);
        payload.CopyTo(reply, 20);
        await WriteAllAsync(reply);
    }
}
