using System.Buffers.Binary;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Nbd;

/// <summary>The options that shape transmission: structured replies, and the metadata contexts BLOCK_STATUS reports.</summary>
internal sealed partial class NbdConnection
{
    private bool _structuredReplies;
    private NbdMetaContexts _metaContexts;
    private string? _metaExport;

    /// <summary>The contexts BLOCK_STATUS answers for on the chosen export; set when the client picks it.</summary>
    private NbdMetaContexts _contexts;

    /// <summary>NBD_OPT_STRUCTURED_REPLY: from now on READ answers in chunks, and errors carry a message.</summary>
    private async Task StructuredReplyAsync(byte[] data)
    {
        if (data.Length != 0)
        {
            await SendOptionErrorAsync(OptStructuredReply, RepErrInvalid, "NBD_OPT_STRUCTURED_REPLY takes no data");
        }
        else if (_structuredReplies)
        {
            await SendOptionErrorAsync(OptStructuredReply, RepErrInvalid, "structured replies are already negotiated");
        }
        else
        {
            _structuredReplies = true;
            await SendOptionReplyAsync(OptStructuredReply, RepAck, []);
        }
    }

    /// <summary>
    /// NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT: one META_CONTEXT reply per context
    /// the queries select on the named export, then ACK. LIST with no query lists every context;
    /// SET replaces the selection, even when it fails, and needs structured replies first.
    /// </summary>
    private async Task MetaContextAsync(uint option, byte[] data)
    {
        var listing = option == OptListMetaContext;
        if (!listing)
        {
            ForgetMetaContexts();
            if (!_structuredReplies)
            {
                await SendOptionErrorAsync(option, RepErrInvalid, "NBD_OPT_SET_META_CONTEXT needs NBD_OPT_STRUCTURED_REPLY first");
                return;
            }
        }
        if (!TryParseMetaRequest(data, listing, out var nameLength, out var selected))
        {
            await SendOptionErrorAsync(option, RepErrInvalid, "malformed metadata context request");
            return;
        }
        var name = DecodeName(data.AsSpan(4, nameLength));
        if (name is null || _runtime.FindExportByName(name) is null)
        {
            await SendOptionErrorAsync(option, RepErrUnknown, $"export '{name}' not found");
            return;
        }
        if ((selected & NbdMetaContexts.BaseAllocation) != 0)
        {
            await SendMetaContextAsync(option, listing ? 0 : NbdMetaQuery.BaseAllocationId, NbdMetaQuery.BaseAllocation);
        }
        if ((selected & NbdMetaContexts.AllocationDepth) != 0)
        {
            await SendMetaContextAsync(option, listing ? 0 : NbdMetaQuery.AllocationDepthId, NbdMetaQuery.AllocationDepth);
        }
        await SendOptionReplyAsync(option, RepAck, []);
        if (!listing)
        {
            _metaContexts = selected;
            _metaExport = name;
        }
    }

    /// <summary>NBD_OPT_SET_META_CONTEXT replaces the selection even when it fails (the spec): none is left until one succeeds.</summary>
    private void ForgetMetaContexts()
    {
        _metaContexts = NbdMetaContexts.None;
        _metaExport = null;
    }

    /// <summary>
    /// Layout: u32 name length, name, u32 number of queries, then each query as u32 length and
    /// bytes. False when a length reaches past the data or bytes are left over.
    /// </summary>
    private static bool TryParseMetaRequest(byte[] data, bool listing, out int nameLength, out NbdMetaContexts selected)
    {
        nameLength = 0;
        selected = NbdMetaContexts.None;
        ReadOnlySpan<byte> rest = data;
        if (!TryTake(ref rest, out var name) || rest.Length < 4)
        {
            return false;
        }
        nameLength = name.Length;
        var queries = BinaryPrimitives.ReadUInt32BigEndian(rest);
        rest = rest[4..];
        if (listing && queries == 0)
        {
            selected = NbdMetaContexts.All;
        }
        for (var i = 0u; i < queries; i++)
        {
            if (!TryTake(ref rest, out var query))
            {
                return false;
            }
            if (query.Length <= MaxStringLength)
            {
                selected |= NbdMetaQuery.Match(query, listing);
            }
        }
        return rest.IsEmpty;
    }

    /// <summary>Takes one u32-length-prefixed string off the front of <paramref name="rest"/>.</summary>
    private static bool TryTake(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (rest.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(rest) is var length && length > rest.Length - 4)
        {
            return false;
        }
        value = rest.Slice(4, (int)length);
        rest = rest[(4 + (int)length)..];
        return true;
    }

    private Task SendMetaContextAsync(uint option, uint id, ReadOnlySpan<byte> name)
    {
        var payload = new byte[4 + name.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, id);
        name.CopyTo(payload.AsSpan(4));
        return SendOptionReplyAsync(option, RepMetaContext, payload);
    }
}
