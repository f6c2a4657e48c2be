using System.Buffers.Binary;
using System.Text;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Tests.Nbd;

/// <summary>
/// Structured replies, metadata contexts and BLOCK_STATUS on the wire, chunk by chunk, for what
/// the tools in <see cref="NbdQsdComparisonTests"/> do not show: hole and data chunks, DF, error
/// chunks, REQ_ONE, the refusals, and the option answers next to qemu-storage-daemon's.
/// </summary>
public sealed class NbdStructuredReplyTests
{
    private const int K64 = 64 << 10;

    /// <summary>A 256 KiB export whose file holds data only at 64k-128k (written through the export).</summary>
    private static async Task<(NbdHost Nbd, RawNbdClient Client)> OpenSparseAsync(params string[] contexts)
    {
        var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 4 * K64);
        await using (var writer = await RawNbdClient.ConnectAsync(nbd.SocketPath))
        {
            await writer.GoAsync("disk0");
            await writer.SendRequestAsync(CmdWrite, handle: 1, offset: K64, length: K64, payload: [.. Enumerable.Repeat((byte)0x5a, K64)]);
            Assert.Equal((0u, 1ul), await writer.ReadReplyAsync());
        }
        var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.SendClientFlagsAsync();
        Assert.Equal(RepAck, (await client.OptionAsync(OptStructuredReply, []))[^1].Type);
        if (contexts.Length > 0)
        {
            Assert.Equal(RepAck, (await client.OptionAsync(OptSetMetaContext, RawNbdClient.MetaContextData("disk0", contexts)))[^1].Type);
        }
        await client.GoAgainAsync("disk0");
        return (nbd, client);
    }

    [Fact]
    public async Task A_read_sends_hole_chunks_for_the_holes_and_reads_only_the_data()
    {
        var (nbd, client) = await OpenSparseAsync();
        await using var _ = nbd;
        await using var __ = client;

        await client.SendRequestAsync(CmdRead, handle: 9, offset: 0, length: 4 * K64);
        var chunks = new[] { await client.ReadChunkAsync(), await client.ReadChunkAsync(), await client.ReadChunkAsync() };

        Assert.All(chunks, c => Assert.Equal(9ul, c.Handle));
        Assert.Equal([ReplyTypeOffsetHole, ReplyTypeOffsetData, ReplyTypeOffsetHole], chunks.Select(c => c.Type));
        Assert.Equal([0, 0, ReplyFlagDone], chunks.Select(c => c.Flags));
        Assert.Equal((0ul, (uint)K64), Hole(chunks[0].Payload));
        Assert.Equal((ulong)K64, BinaryPrimitives.ReadUInt64BigEndian(chunks[1].Payload));
        Assert.All(chunks[1].Payload.AsSpan(8).ToArray(), b => Assert.Equal(0x5a, b));
        Assert.Equal(K64 + 8, chunks[1].Payload.Length);
        Assert.Equal((2ul * K64, 2u * K64), Hole(chunks[2].Payload));
    }

    [Fact]
    public async Task A_read_with_DF_is_one_data_chunk_holes_included()
    {
        var (nbd, client) = await OpenSparseAsync();
        await using var _ = nbd;
        await using var __ = client;

        await client.SendRequestAsync(CmdRead, handle: 3, offset: 0, length: 2 * K64, flags: CmdFlagDf);
        var chunk = await client.ReadChunkAsync();

        Assert.Equal((ReplyFlagDone, ReplyTypeOffsetData, 3ul), (chunk.Flags, chunk.Type, chunk.Handle));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64BigEndian(chunk.Payload));
        Assert.All(chunk.Payload.AsSpan(8, K64).ToArray(), b => Assert.Equal(0, b));
        Assert.All(chunk.Payload.AsSpan(8 + K64).ToArray(), b => Assert.Equal(0x5a, b));
    }

    [Fact]
    public async Task A_refused_read_is_an_error_chunk_with_a_message_and_the_next_request_is_answered()
    {
        var (nbd, client) = await OpenSparseAsync();
        await using var _ = nbd;
        await using var __ = client;

        await client.SendRequestAsync(CmdRead, handle: 1, offset: 4 * K64 - 10, length: 20);
        var error = await client.ReadChunkAsync();
        await client.SendRequestAsync(CmdRead, handle: 2, offset: K64, length: 4, flags: CmdFlagDf);
        var next = await client.ReadChunkAsync();

        Assert.Equal((ReplyFlagDone, ReplyTypeError, 1ul), (error.Flags, error.Type, error.Handle));
        Assert.Equal(EInval, BinaryPrimitives.ReadUInt32BigEndian(error.Payload));
        var message = Encoding.UTF8.GetString(error.Payload.AsSpan(6, BinaryPrimitives.ReadUInt16BigEndian(error.Payload.AsSpan(4))));
        Assert.Contains("outside the export", message);
        Assert.Equal((ReplyTypeOffsetData, 2ul), (next.Type, next.Handle));
        Assert.Equal([0x5a, 0x5a, 0x5a, 0x5a], next.Payload.AsSpan(8).ToArray());
    }

    [Fact]
    public async Task Block_status_reports_each_selected_context_merged_and_REQ_ONE_one_descriptor_each()
    {
        var (nbd, client) = await OpenSparseAsync("base:allocation", "qemu:allocation-depth");
        await using var _ = nbd;
        await using var __ = client;

        await client.SendRequestAsync(CmdBlockStatus, handle: 4, offset: 0, length: 4 * K64);
        var allocation = await client.ReadChunkAsync();
        var depth = await client.ReadChunkAsync();
        await client.SendRequestAsync(CmdBlockStatus, handle: 5, offset: K64 / 2, length: 3 * K64, flags: CmdFlagReqOne);
        var first = await client.ReadChunkAsync();
        var firstDepth = await client.ReadChunkAsync();

        Assert.Equal((0, ReplyTypeBlockStatus), (allocation.Flags, allocation.Type));
        Assert.Equal([(K64, 3u), (K64, 0u), (2 * K64, 3u)], Descriptors(allocation.Payload)); // hole|zero, data, hole|zero
        Assert.Equal((ReplyFlagDone, ReplyTypeBlockStatus), (depth.Flags, depth.Type));
        Assert.Equal([(4 * K64, 1u)], Descriptors(depth.Payload)); // all of it the file's own
        Assert.NotEqual(BinaryPrimitives.ReadUInt32BigEndian(allocation.Payload), BinaryPrimitives.ReadUInt32BigEndian(depth.Payload));
        Assert.Equal([(K64 / 2, 3u)], Descriptors(first.Payload));
        Assert.Equal([(3 * K64, 1u)], Descriptors(firstDepth.Payload)); // no longer than asked
    }

    [Fact]
    public async Task Block_status_without_a_context_selected_for_the_chosen_export_or_with_no_length_gets_EINVAL()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", K64);
        await nbd.AddFileExportAsync("disk1", K64);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.SendClientFlagsAsync();
        await client.OptionAsync(OptStructuredReply, []);
        var set = await client.OptionAsync(OptSetMetaContext, RawNbdClient.MetaContextData("disk1", "base:allocation"));
        await client.GoAgainAsync("disk0");

        await client.SendRequestAsync(CmdBlockStatus, handle: 1, offset: 0, length: K64);
        var otherExport = await client.ReadChunkAsync();

        Assert.Equal([RepMetaContext, RepAck], set.Select(r => r.Type));
        Assert.Equal((ReplyTypeError, EInval), (otherExport.Type, BinaryPrimitives.ReadUInt32BigEndian(otherExport.Payload)));

        await using var selected = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await selected.SendClientFlagsAsync();
        await selected.OptionAsync(OptStructuredReply, []);
        await selected.OptionAsync(OptSetMetaContext, RawNbdClient.MetaContextData("disk0", "base:allocation"));
        await selected.GoAgainAsync("disk0");
        await selected.SendRequestAsync(CmdBlockStatus, handle: 2, offset: 0, length: 0);
        var empty = await selected.ReadChunkAsync();

        Assert.Equal((ReplyTypeError, EInval), (empty.Type, BinaryPrimitives.ReadUInt32BigEndian(empty.Payload)));
    }

    /// <summary>
    /// The option answers, reply type and context names, to the query forms clients send: with
    /// and without structured replies, no query, namespaces as wildcards, full names, unknown
    /// names and namespaces, a missing export, and bytes that do not add up.
    /// </summary>
    [NbdClientFact("qemu-storage-daemon")]
    public async Task Meta_context_options_are_answered_as_qemu_storage_daemon_answers_them()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddNodeAsync("disk0", "null-co", ("size", "1048576"));
        await nbd.AddExportAsync("disk0", "disk0");
        await using var qsd = await QemuStorageDaemon.StartAsync(Path.Combine(nbd.Fixture.DataDir, "qsd.sock"),
            ["--blockdev", "driver=null-co,node-name=disk0,size=1048576", "--export", "type=nbd,id=e0,node-name=disk0,name=disk0,allocation-depth=on"]);
        (uint Option, byte[] Data)[] sequence =
        [
            (OptSetMetaContext, RawNbdClient.MetaContextData("disk0", "base:allocation")),
            (OptListMetaContext, RawNbdClient.MetaContextData("disk0")),
            (OptStructuredReply, []),
            (OptStructuredReply, []),
            (OptListMetaContext, RawNbdClient.MetaContextData("disk0")),
            (OptListMetaContext, RawNbdClient.MetaContextData("disk0", "base:")),
            (OptListMetaContext, RawNbdClient.MetaContextData("disk0", "qemu:")),
            (OptListMetaContext, RawNbdClient.MetaContextData("disk0", "x-other:thing", "base:nothing", "qemu:allocation-depth", "qemu:dirty-bitmap:b0")),
            (OptSetMetaContext, RawNbdClient.MetaContextData("disk0", "base:", "qemu:")),
            (OptSetMetaContext, RawNbdClient.MetaContextData("disk0", "qemu:allocation-depth", "base:allocation")),
            (OptSetMetaContext, RawNbdClient.MetaContextData("nope", "base:allocation")),
            (OptSetMetaContext, [.. RawNbdClient.MetaContextData("disk0", "base:allocation").SkipLast(3)]),
        ];

        var ours = await AnswersAsync(nbd.SocketPath, sequence);
        var theirs = await AnswersAsync(qsd.SocketPath, sequence);

        Assert.Equal(theirs, ours);
        Assert.Contains("ACK base:allocation qemu:allocation-depth", ours);
    }

    /// <summary>Each option's replies as one line: reply types, and the context name of each META_CONTEXT (ids are the server's own).</summary>
    private static async Task<List<string>> AnswersAsync(string socketPath, (uint Option, byte[] Data)[] sequence)
    {
        await using var client = await RawNbdClient.ConnectAsync(socketPath);
        await client.SendClientFlagsAsync();
        var answers = new List<string>();
        foreach (var (option, data) in sequence)
        {
            var replies = await client.OptionAsync(option, data);
            var names = replies.Where(r => r.Type == RepMetaContext).Select(r => Encoding.UTF8.GetString(r.Payload.AsSpan(4))).Order(StringComparer.Ordinal);
            var type = replies[^1].Type switch { RepAck => "ACK", RepErrInvalid => "ERR_INVALID", var other => $"0x{other:x}" };
            answers.Add(string.Join(' ', names.Prepend(type)));
        }
        return answers;
    }

    private static (ulong Offset, uint Length) Hole(byte[] payload) =>
        (BinaryPrimitives.ReadUInt64BigEndian(payload), BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(8)));

    private static List<(int Length, uint Flags)> Descriptors(byte[] payload)
    {
        var descriptors = new List<(int, uint)>();
        for (var at = 4; at < payload.Length; at += 8)
        {
            descriptors.Add(((int)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(at)), BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(at + 4))));
        }
        return descriptors;
    }
}
