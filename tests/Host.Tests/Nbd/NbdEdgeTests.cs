using System.Buffers.Binary;
using System.Net.Sockets;
using Akka.Actor;
using Actors.GraphLock;
using Host.Nbd;
using Nodes.Commands;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Tests.Nbd;

/// <summary>What real clients never send, answered in NBD's terms at the edge, with the server staying up.</summary>
public sealed class NbdEdgeTests
{
    [Fact]
    public async Task A_write_to_a_read_only_export_gets_EPERM_and_the_stream_stays_in_sync()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("ro0", 1 << 20, writable: false);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        var flags = await client.GoAsync("ro0");

        await client.SendRequestAsync(CmdWrite, handle: 1, offset: 0, length: 512, payload: new byte[512]);
        await client.SendRequestAsync(CmdTrim, handle: 2, offset: 0, length: 512);
        var write = await client.ReadReplyAsync();
        var trim = await client.ReadReplyAsync();
        await client.SendRequestAsync(CmdRead, handle: 3, offset: 0, length: 512);
        var read = await client.ReadReplyAsync();

        Assert.Equal(2, flags & 2); // NBD_FLAG_READ_ONLY
        Assert.Equal(EPerm, write.Error);
        Assert.Equal(EPerm, trim.Error);
        Assert.Equal((0u, 3ul), read);
        Assert.All(await client.ReadAsync(512), b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Out_of_range_and_oversized_requests_get_EINVAL_and_an_oversized_payload_is_skipped()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");
        const uint oversized = (32 << 20) + 1;

        await client.SendRequestAsync(CmdRead, handle: 1, offset: (1 << 20) - 100, length: 200);
        Assert.Equal((EInval, 1ul), await client.ReadReplyAsync());
        await client.SendRequestAsync(CmdWrite, handle: 2, offset: 0, length: oversized, payload: new byte[oversized]);
        Assert.Equal((EInval, 2ul), await client.ReadReplyAsync());
        await client.SendRequestAsync(CmdWrite, handle: 3, offset: 0, length: 4, payload: [1, 2, 3, 4]);
        Assert.Equal((0u, 3ul), await client.ReadReplyAsync());
        await client.SendRequestAsync(CmdRead, handle: 4, offset: 0, length: 4);

        Assert.Equal((0u, 4ul), await client.ReadReplyAsync());
        Assert.Equal([1, 2, 3, 4], await client.ReadAsync(4));
    }

    /// <summary>The spec: ENOSPC for a write past the end, as a full disk answers; EINVAL for reads and trims; EPERM first on a read-only export.</summary>
    [Fact]
    public async Task Writes_past_the_end_get_ENOSPC_reads_and_trims_EINVAL_and_read_only_EPERM()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await nbd.AddFileExportAsync("ro0", 1 << 20, writable: false);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await using var readOnly = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");
        await readOnly.GoAsync("ro0");
        const ulong huge = 1UL << 63;

        await client.SendRequestAsync(CmdWrite, handle: 1, offset: (1 << 20) - 2, length: 4, payload: [1, 2, 3, 4]);
        await client.SendRequestAsync(CmdWriteZeroes, handle: 2, offset: huge, length: 512);
        await client.SendRequestAsync(CmdRead, handle: 3, offset: huge, length: 512);
        await client.SendRequestAsync(CmdTrim, handle: 4, offset: 1 << 20, length: 1);
        await readOnly.SendRequestAsync(CmdWrite, handle: 5, offset: huge, length: 4, payload: [1, 2, 3, 4]);
        var replies = new[] { await client.ReadReplyAsync(), await client.ReadReplyAsync(), await client.ReadReplyAsync(), await client.ReadReplyAsync() };

        Assert.Equal([(ENoSpc, 1ul), (ENoSpc, 2ul), (EInval, 3ul), (EInval, 4ul)], replies.OrderBy(r => r.Handle));
        Assert.Equal((EPerm, 5ul), await readOnly.ReadReplyAsync());
    }

    /// <summary>The spec asks EINVAL for a flag a command does not take; FUA goes with every command.</summary>
    [Fact]
    public async Task A_flag_the_command_does_not_take_gets_EINVAL_and_the_refused_writes_payload_is_skipped()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");
        const ushort fua = 1, noHole = 2, df = 4, reqOne = 8, fastZero = 16;

        await client.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 4, flags: df); // no structured replies
        await client.SendRequestAsync(CmdWrite, handle: 2, offset: 0, length: 4, payload: [9, 9, 9, 9], flags: reqOne);
        await client.SendRequestAsync(CmdWriteZeroes, handle: 3, offset: 0, length: 4, flags: fastZero); // not offered
        await client.SendRequestAsync(CmdFlush, handle: 4, offset: 0, length: 0, flags: 1 << 9);
        await client.SendRequestAsync(CmdTrim, handle: 5, offset: 0, length: 4, flags: noHole);
        await client.SendRequestAsync(CmdWriteZeroes, handle: 6, offset: 4, length: 4, flags: noHole | fua);
        var replies = new List<(uint Error, ulong Handle)>();
        for (var i = 0; i < 6; i++)
        {
            replies.Add(await client.ReadReplyAsync());
        }
        await client.SendRequestAsync(CmdRead, handle: 7, offset: 0, length: 4, flags: fua);

        Assert.Equal([(EInval, 1ul), (EInval, 2ul), (EInval, 3ul), (EInval, 4ul), (EInval, 5ul), (0u, 6ul)], replies.OrderBy(r => r.Handle));
        Assert.Equal((0u, 7ul), await client.ReadReplyAsync());
        Assert.Equal([0, 0, 0, 0], await client.ReadAsync(4));
    }

    [Fact]
    public async Task Many_requests_in_flight_on_one_connection_all_get_their_reply()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");

        for (ulong i = 0; i < 200; i++)
        {
            var payload = new byte[4096];
            BinaryPrimitives.WriteUInt64BigEndian(payload, i);
            await client.SendRequestAsync(CmdWrite, handle: i, offset: i * 4096, length: 4096, payload: payload);
        }
        var handles = new List<ulong>();
        for (var i = 0; i < 200; i++)
        {
            var reply = await client.ReadReplyAsync();
            Assert.Equal(0u, reply.Error);
            handles.Add(reply.Handle);
        }

        Assert.Equal(Enumerable.Range(0, 200).Select(i => (ulong)i), handles.Order());
    }

    [Fact]
    public async Task A_client_vanishing_with_requests_in_flight_leaves_the_server_serving_others()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        var vanishing = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await vanishing.GoAsync("disk0");
        for (ulong i = 0; i < 64; i++)
        {
            await vanishing.SendRequestAsync(CmdRead, handle: i, offset: 0, length: 65536);
        }
        vanishing.Abort();
        await vanishing.DisposeAsync();

        await using var other = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await other.GoAsync("disk0");
        await other.SendRequestAsync(CmdRead, handle: 7, offset: 0, length: 16);

        Assert.Equal((0u, 7ul), await other.ReadReplyAsync());
    }

    [Fact]
    public async Task Requests_after_the_export_is_removed_get_ESHUTDOWN_and_the_server_stays_up()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await nbd.AddFileExportAsync("disk1", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");

        await nbd.Fixture.Host.Graph.Ask<WriteCompleted>(new RemoveExport("disk0-export"), NbdHost.Timeout);
        await nbd.Fixture.Host.Graph.Ask<WriteCompleted>(new DeleteNode("disk0-file"), NbdHost.Timeout);
        await client.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 16);
        var afterRemoval = await client.ReadReplyAsync();
        await using var other = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await other.GoAsync("disk1");
        await other.SendRequestAsync(CmdRead, handle: 2, offset: 0, length: 16);

        Assert.Equal((EShutdown, 1ul), afterRemoval);
        Assert.Equal((0u, 2ul), await other.ReadReplyAsync());
    }

    [Fact]
    public async Task An_unknown_export_gets_ERR_UNKNOWN_and_the_client_may_try_another()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GoAsync("nope"));
        await client.GoAgainAsync("disk0");
        await client.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 16);

        Assert.Contains("0x80000006", error.Message);
        Assert.Equal((0u, 1ul), await client.ReadReplyAsync());
    }

    /// <summary>The spec: up to 32 MiB is no attack. Past the 64 KiB we parse, the data is read past and refused.</summary>
    [Fact]
    public async Task An_option_over_64_KiB_is_refused_with_TOO_BIG_and_a_failed_SET_META_CONTEXT_selects_nothing()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.SendClientFlagsAsync();
        await client.OptionAsync(8, []); // NBD_OPT_STRUCTURED_REPLY
        await client.OptionAsync(10, RawNbdClient.MetaContextData("disk0", "base:allocation"));
        var queries = Enumerable.Repeat("base:allocation", 4000).ToArray(); // 76 KiB

        var tooBig = await client.OptionAsync(10, RawNbdClient.MetaContextData("disk0", queries));
        var unknown = await client.OptionAsync(0x4242, new byte[1 << 20]);
        await client.GoAgainAsync("disk0");
        await client.SendRequestAsync(7, handle: 1, offset: 0, length: 512); // NBD_CMD_BLOCK_STATUS
        var status = await client.ReadChunkAsync();

        Assert.Equal(RepErrTooBig, tooBig.Single().Type);
        Assert.Equal(RepErrTooBig, unknown.Single().Type);
        Assert.Equal((0x8001, 1ul), (status.Type, status.Handle)); // NBD_REPLY_TYPE_ERROR: no context is selected
        Assert.Equal(EInval, BinaryPrimitives.ReadUInt32BigEndian(status.Payload));
    }

    [Fact]
    public async Task An_option_announcing_more_than_32_MiB_closes_the_connection_without_waiting_for_its_data()
    {
        await using var nbd = await NbdHost.StartAsync();
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.SendClientFlagsAsync();
        var header = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, 0x49484156454F5054UL);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), 3); // NBD_OPT_LIST
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), uint.MaxValue);

        await client.WriteAsync(header);

        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task A_client_stalled_inside_an_option_holds_up_no_one_and_may_finish_later()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var stalled = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await stalled.SendClientFlagsAsync();
        var go = new byte[16 + 4 + 5 + 2];
        BinaryPrimitives.WriteUInt64BigEndian(go, 0x49484156454F5054UL);
        BinaryPrimitives.WriteUInt32BigEndian(go.AsSpan(8), 7); // NBD_OPT_GO
        BinaryPrimitives.WriteUInt32BigEndian(go.AsSpan(12), 4 + 5 + 2);
        BinaryPrimitives.WriteUInt32BigEndian(go.AsSpan(16), 5);
        "disk0"u8.CopyTo(go.AsSpan(20));
        await stalled.WriteAsync(go[..22]);

        await using var other = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await other.GoAsync("disk0");
        await other.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 16);
        var otherRead = await other.ReadReplyAsync();
        await stalled.WriteAsync(go[22..]);

        Assert.Equal((0u, 1ul), otherRead);
        Assert.Equal(1u, (await stalled.ReadOptionRepliesAsync(7))[^1].Type); // NBD_REP_ACK
    }

    [Fact]
    public async Task Stopping_the_server_closes_its_connections_and_its_socket()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");
        var socketPath = nbd.SocketPath;

        await nbd.Server.StopAsync();

        Assert.True(await client.IsClosedByServerAsync());
        Assert.Equal(0, nbd.Server.ConnectionCount);
        Assert.False(File.Exists(socketPath));
    }

    /// <summary>A host killed without cleanup leaves its socket file; the next start replaces it, as QEMU does.</summary>
    [Fact]
    public async Task A_stale_socket_file_is_replaced_when_the_server_starts()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        var stalePath = Path.Combine(nbd.Fixture.DataDir, "stale.sock");
        using (var crashed = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            crashed.Bind(new UnixDomainSocketEndPoint(stalePath));
        }
        var restarted = new NbdServer(nbd.Fixture.Host.Runtime);

        await restarted.StartAsync(new UnixDomainSocketEndPoint(stalePath));
        await using var client = await RawNbdClient.ConnectAsync(stalePath);
        var flags = await client.GoAsync("disk0");
        await restarted.StopAsync();

        Assert.NotEqual(0, flags & 1); // NBD_FLAG_HAS_FLAGS: the handshake went through the new server
    }

    [Fact]
    public async Task Write_zeroes_longer_than_the_largest_payload_zeroes_the_whole_range()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 64 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");
        const uint past32MiB = 40 << 20;

        await client.SendRequestAsync(CmdWrite, handle: 1, offset: past32MiB - 4, length: 8, payload: [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal((0u, 1ul), await client.ReadReplyAsync());
        await client.SendRequestAsync(CmdWriteZeroes, handle: 2, offset: 0, length: past32MiB, flags: 2); // NO_HOLE
        Assert.Equal((0u, 2ul), await client.ReadReplyAsync());
        await client.SendRequestAsync(CmdRead, handle: 3, offset: past32MiB - 4, length: 8);

        Assert.Equal((0u, 3ul), await client.ReadReplyAsync());
        Assert.Equal([0, 0, 0, 0, 5, 6, 7, 8], await client.ReadAsync(8));
    }

    [Fact]
    public async Task The_old_export_name_option_answers_size_and_flags_and_starts_transmission()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        var option = new byte[4 + 16 + 5];
        BinaryPrimitives.WriteUInt32BigEndian(option, 3); // FIXED_NEWSTYLE | NO_ZEROES
        BinaryPrimitives.WriteUInt64BigEndian(option.AsSpan(4), 0x49484156454F5054UL);
        BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(12), 1); // NBD_OPT_EXPORT_NAME
        BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(16), 5);
        "disk0"u8.CopyTo(option.AsSpan(20));

        await client.WriteAsync(option);
        var answer = await client.ReadAsync(10); // NO_ZEROES: no 124 bytes of padding
        await client.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 16);

        Assert.Equal(1ul << 20, BinaryPrimitives.ReadUInt64BigEndian(answer));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(8)) & 2); // writable
        Assert.Equal((0u, 1ul), await client.ReadReplyAsync());
    }
}
