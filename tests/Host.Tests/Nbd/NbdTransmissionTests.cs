using System.Buffers.Binary;
using Akka.Actor;
using Actors.GraphLock;
using Nodes.Commands;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Tests.Nbd;

/// <summary>
/// The transmission phase as it runs on the export's IoThread: bursts parsed from one receive,
/// payloads split across receives, and a connection that follows its node between IoThreads.
/// </summary>
public sealed class NbdTransmissionTests
{
    private const int Block = 4096;

    /// <summary>
    /// Two thousand WRITEs in one socket write: headers and payloads straddle every receive
    /// boundary of the server's input buffer, and the replies outgrow its reply buffer.
    /// </summary>
    [Fact]
    public async Task A_burst_of_pipelined_writes_in_one_send_all_get_their_reply_and_land()
    {
        const int count = 2000;
        const int size = 1000;
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", count * size);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");

        var burst = new byte[count * (28 + size)];
        for (var i = 0; i < count; i++)
        {
            var request = burst.AsSpan(i * (28 + size), 28 + size);
            BinaryPrimitives.WriteUInt32BigEndian(request, 0x25609513);
            BinaryPrimitives.WriteUInt16BigEndian(request[6..], CmdWrite);
            BinaryPrimitives.WriteUInt64BigEndian(request[8..], (ulong)i);
            BinaryPrimitives.WriteUInt64BigEndian(request[16..], (ulong)(i * size));
            BinaryPrimitives.WriteUInt32BigEndian(request[24..], size);
            request[28..].Fill((byte)(i % 251));
        }
        var sending = client.WriteAsync(burst);
        var replies = new List<(uint Error, ulong Handle)>();
        for (var i = 0; i < count; i++)
        {
            replies.Add(await client.ReadReplyAsync());
        }
        await sending;

        Assert.All(replies, r => Assert.Equal(0u, r.Error));
        Assert.Equal(Enumerable.Range(0, count).Select(i => (ulong)i), replies.Select(r => r.Handle).Order());
        var image = await File.ReadAllBytesAsync(nbd.ImagePath("disk0.img"));
        for (var i = 0; i < count; i++)
        {
            Assert.True(image.AsSpan(i * size, size).IndexOfAnyExcept((byte)(i % 251)) < 0, $"block {i} did not land");
        }
    }

    /// <summary>
    /// Requests keep flowing while the export's node moves io0 → io1 → io0 → io1; then io0 is
    /// stopped while the client is idle, and the connection, now served from io1, still answers.
    /// </summary>
    [Fact]
    public async Task A_connection_follows_its_node_between_IoThreads_and_outlives_the_one_it_left()
    {
        await using var nbd = await NbdHost.StartAsync(tcp: false, "io0", "io1");
        await nbd.AddFileExportAsync("disk0", 64 * Block);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");

        ulong handle = 0;
        foreach (var target in new[] { "io1", "io0", "io1" })
        {
            for (var i = 0; i < 64; i++)
            {
                var payload = new byte[Block];
                BinaryPrimitives.WriteUInt64BigEndian(payload, handle);
                await client.SendRequestAsync(CmdWrite, handle++, (ulong)(i * Block), Block, payload);
            }
            await nbd.Fixture.Host.Graph.Ask<WriteCompleted>(new MoveNode("disk0-file", target), NbdHost.Timeout);
            for (var i = 0; i < 64; i++)
            {
                Assert.Equal(0u, (await client.ReadReplyAsync()).Error);
            }
        }
        await nbd.Fixture.Host.RemoveIoThreadAsync("io0", NbdHost.Timeout);
        await client.SendRequestAsync(CmdRead, handle, offset: 63 * Block, length: 8);
        var reply = await client.ReadReplyAsync();
        var data = await client.ReadAsync(8);

        Assert.Equal((0u, handle), reply);
        Assert.Equal(handle - 1, BinaryPrimitives.ReadUInt64BigEndian(data));
    }

    /// <summary>
    /// The export is removed under an attached client, and the IoThread it was served from is
    /// stopped: the connection moves to a live IoThread and answers ESHUTDOWN instead of hanging.
    /// </summary>
    [Fact]
    public async Task A_connection_whose_export_is_gone_outlives_the_IoThread_it_was_served_from()
    {
        await using var nbd = await NbdHost.StartAsync(tcp: false, "io0", "io1");
        await nbd.AddFileExportAsync("disk0", 64 * Block);
        await nbd.Fixture.Host.Graph.Ask<WriteCompleted>(new MoveNode("disk0-file", "io1"), NbdHost.Timeout);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");
        await client.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 8);
        Assert.Equal((0u, 1ul), await client.ReadReplyAsync());
        await client.ReadAsync(8);

        await nbd.Fixture.Host.Graph.Ask<WriteCompleted>(new RemoveExport("disk0-export"), NbdHost.Timeout);
        await nbd.Fixture.Host.Graph.Ask<WriteCompleted>(new MoveNode("disk0-file", "io0"), NbdHost.Timeout);
        await nbd.Fixture.Host.RemoveIoThreadAsync("io1", NbdHost.Timeout);
        await client.SendRequestAsync(CmdRead, handle: 2, offset: 0, length: 8);

        Assert.Equal((108u, 2ul), await client.ReadReplyAsync()); // NBD_ESHUTDOWN
    }
}
