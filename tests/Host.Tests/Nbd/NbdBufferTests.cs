using System.Diagnostics.Tracing;
using Host.Tests.Cli;

namespace Host.Tests.Nbd;

/// <summary>
/// What the NBD server takes from <c>ArrayPool&lt;byte&gt;.Shared</c> it gives back, whatever its
/// clients do. The pool is the process's, so these tests run alone.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class NbdBufferTests
{
    [Fact]
    public async Task Clients_refused_in_the_handshake_or_gone_after_transmission_leave_no_buffer_out_of_the_pool()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        using var pool = new LargeBuffersOut();

        for (var i = 0; i < 10; i++)
        {
            await using var refused = await RawNbdClient.ConnectAsync(nbd.SocketPath);
            await refused.SendClientFlagsAsync();
            await refused.WriteAsync(new byte[16]); // an option header without its magic
            Assert.True(await refused.IsClosedByServerAsync());
        }
        await using (var served = await RawNbdClient.ConnectAsync(nbd.SocketPath))
        {
            await served.GoAsync("disk0");
            await served.SendRequestAsync(0, handle: 1, offset: 0, length: 4096); // READ
            Assert.Equal((0u, 1ul), await served.ReadReplyAsync());
            await served.ReadAsync(4096);
        }

        Assert.True(await nbd.AllConnectionsEndAsync());
        Assert.Equal(0, pool.Outstanding);
    }

    /// <summary>Counts the buffers of 128 KiB and more that the shared array pool hands out and takes back, from its event source.</summary>
    private sealed class LargeBuffersOut : EventListener
    {
        private const int BufferRented = 1;
        private const int BufferReturned = 3;
        private int _outstanding;

        public int Outstanding => Volatile.Read(ref _outstanding);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            // Both events carry (buffer id, buffer size, ...).
            if (eventData.EventId is BufferRented or BufferReturned && eventData.Payload?[1] is int size && size >= 128 << 10)
            {
                Interlocked.Add(ref _outstanding, eventData.EventId == BufferRented ? 1 : -1);
            }
        }
    }
}
