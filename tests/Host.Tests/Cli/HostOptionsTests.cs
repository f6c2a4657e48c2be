using Host.Cli;
using Host.Daemon;

namespace Host.Tests.Cli;

public sealed class HostOptionsTests
{
    [Fact]
    public void The_qemu_storage_daemon_example_parses_in_order()
    {
        var options = HostOptions.Parse([
            "--blockdev", "driver=file,node-name=file0,filename=disk.raw",
            "--blockdev", "driver=raw,node-name=disk0,file=file0",
            "--object", "iothread,id=io0",
            "--nbd-server", "addr.type=unix,addr.path=nbd.sock",
            "--export", "type=nbd,id=e0,node-name=disk0,name=disk0,writable=on,iothread=io0",
            "--chardev", "socket,id=mon0,path=qmp.sock,server=on,wait=off",
            "--monitor", "chardev=mon0",
        ]).Daemon;

        Assert.Equal(["file0", "disk0"], options.Blockdevs.Select(b => b.NodeName));
        Assert.Equal("file0", options.Blockdevs[1].Children["file"]);
        Assert.Equal("disk.raw", options.Blockdevs[0].Options["filename"]);
        Assert.Equal(["io0"], options.IoThreads.ToArray());
        Assert.Equal(new SocketAddress("unix", "nbd.sock", null), options.NbdServer);
        Assert.Equal(new ExportOption("e0", "disk0", "disk0", true, "io0"), options.Exports.Single());
        Assert.Equal(new SocketAddress("unix", "qmp.sock", null), options.Chardevs["mon0"]);
        Assert.Equal(["mon0"], options.Monitors.ToArray());
    }

    [Fact]
    public void A_blockdev_takes_its_file_and_backing_children_by_node_name()
    {
        var blockdev = HostOptions.Parse(["--blockdev", "driver=qcow2,node-name=ov,file=ov-file,backing=base"]).Daemon.Blockdevs.Single();
        Assert.Equal([("backing", "base"), ("file", "ov-file")], blockdev.Children.Select(c => (c.Key, c.Value)));
        Assert.Empty(blockdev.Options);
    }

    [Fact]
    public void A_blockdev_may_be_given_as_json()
    {
        var blockdev = HostOptions.Parse(["--blockdev", """{"driver": "null-co", "node-name": "null0", "size": 1073741824, "read-zeroes": true}"""]).Daemon.Blockdevs.Single();
        Assert.Equal(("null0", "null-co"), (blockdev.NodeName, blockdev.Driver));
        Assert.Equal("1073741824", blockdev.Options["size"]);
        Assert.Equal("on", blockdev.Options["read-zeroes"]);
    }

    [Fact]
    public void A_tcp_nbd_server_and_chardev_parse_with_their_ports()
    {
        var options = HostOptions.Parse([
            "--nbd-server", "addr.type=inet,addr.host=127.0.0.1,addr.port=10809",
            "--chardev", "socket,id=mon0,host=127.0.0.1,port=4444,server=on,wait=off",
        ]).Daemon;
        Assert.Equal(new SocketAddress("inet", "127.0.0.1", 10809), options.NbdServer);
        Assert.Equal(new SocketAddress("inet", "127.0.0.1", 4444), options.Chardevs["mon0"]);
    }

    /// <summary>QEMU's handshake-max-seconds: 10 when not given, 0 for no limit.</summary>
    [Theory]
    [InlineData("", 10u)]
    [InlineData(",handshake-max-seconds=0", 0u)]
    [InlineData(",handshake-max-seconds=30", 30u)]
    [InlineData(",handshake-max-seconds=4294967295", 4294967295u)]
    public void The_nbd_server_takes_handshake_max_seconds(string option, uint seconds)
    {
        var options = HostOptions.Parse(["--nbd-server", $"addr.type=unix,addr.path=nbd.sock{option}"]).Daemon;
        Assert.Equal(seconds, options.NbdServerHandshakeLimit.Seconds);
    }

    [Theory]
    [InlineData("--blockdev", "node-name=x", "--blockdev: Parameter 'driver' is missing")]
    [InlineData("--blockdev", "{not json", "--blockdev: invalid JSON")]
    [InlineData("--object", "secret,id=s0", "--object: only 'iothread' and 'tls-creds-x509' objects are supported, got 'secret'")]
    [InlineData("--nbd-server", "addr.type=vsock", "--nbd-server: Parameter 'addr.type' expects 'unix' or 'inet', got 'vsock'")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=s,handshake-max-seconds=-1", "--nbd-server: Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to 4294967295, got '-1'")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=s,handshake-max-seconds=1.5", "--nbd-server: Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to 4294967295, got '1.5'")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=s,handshake-max-seconds=ten", "--nbd-server: Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to 4294967295, got 'ten'")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=s,handshake-max-seconds=4294967296", "--nbd-server: Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to 4294967295, got '4294967296'")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=s,handshake-max-seconds=", "--nbd-server: Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to 4294967295, got ''")]
    [InlineData("--export", "type=nbd,id=e0", "--export: Parameter 'node-name' is missing")]
    [InlineData("--export", "type=nbd,id=e0,node-name=d,writable=maybe", "--export: Parameter 'writable' expects 'on' or 'off', got 'maybe'")]
    [InlineData("--monitor", "chardev=nowhere", "--monitor: chardev 'nowhere' not found")]
    [InlineData("--bogus", "x", "unknown option '--bogus' (see --help)")]
    public void A_bad_option_is_refused_in_one_line_naming_it(string option, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => HostOptions.Parse([option, value]));
        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task The_host_exits_with_code_1_and_one_line_on_a_bad_option()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await HostCommand.RunAsync(["--export", "type=nbd,id=e0,node-name=d,iothread=zz"], output, error);
        Assert.Equal(1, code);
        Assert.Equal("actors-host: --export: iothread 'zz' not found (add --object iothread,id=zz)", error.ToString().Trim());
    }
}
