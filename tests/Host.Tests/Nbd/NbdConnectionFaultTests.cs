using Microsoft.Extensions.Logging;
using Nodes.Drivers;
using Nodes.Graph;
using TestTools;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Tests.Nbd;

/// <summary>A bug met by one connection ends that connection only, and is logged, never swallowed.</summary>
public sealed class NbdConnectionFaultTests
{
    /// <summary>A node whose size throws what no driver should: a bug, as the NBD server meets it in NBD_OPT_GO.</summary>
    private sealed class SizelessNode(NodeSettings settings) : BlockNode(settings)
    {
        public override long Length => throw new InvalidOperationException("a bug: the size of a sizeless node");

        public override ValueTask ReadAsync(long offset, Memory<byte> buffer) => ValueTask.CompletedTask;

        public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua) => ValueTask.CompletedTask;

        public override ValueTask FlushAsync() => ValueTask.CompletedTask;

        public override ValueTask DiscardAsync(long offset, long length) => ValueTask.CompletedTask;

        public override ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap) => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task An_unexpected_exception_closes_that_connection_with_an_error_naming_the_client_and_the_others_go_on()
    {
        var log = new MemoryLoggerProvider();
        await using var nbd = await NbdHost.StartAsync(new NbdServerSettings(Logger: log.CreateLogger("nbd")), tcp: true);
        nbd.Fixture.Host.Runtime.Drivers.Register(DriverInfo.Protocol("x-sizeless"), s => new SizelessNode(s));
        await nbd.AddNodeAsync("sizeless0", "x-sizeless");
        await nbd.AddExportAsync("sizeless", "sizeless0");
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var bystander = await RawNbdClient.ConnectAsync(nbd.Server.LocalEndPoint!);
        await bystander.GoAsync("disk0");
        await using var unlucky = await RawNbdClient.ConnectAsync(nbd.Server.LocalEndPoint!);
        var client = unlucky.LocalEndPoint!.ToString()!;
        var refused = await Record.ExceptionAsync(() => unlucky.GoAsync("sizeless"));

        Assert.IsType<EndOfStreamException>(refused);
        Assert.True(await unlucky.IsClosedByServerAsync());
        var error = await log.WaitForAsync(l => l.Level == LogLevel.Error && l.Message.Contains(client, StringComparison.Ordinal));
        Assert.Equal("a bug: the size of a sizeless node", error.Exception?.Message);
        await bystander.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 512);
        Assert.Equal((0u, 1ul), await bystander.ReadReplyAsync());
        await using var next = await RawNbdClient.ConnectAsync(nbd.Server.LocalEndPoint!);
        await next.GoAsync("disk0");
    }
}
