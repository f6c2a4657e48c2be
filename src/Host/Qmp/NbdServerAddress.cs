namespace Host.Qmp;

/// <summary>
/// Where <c>nbd-server-start</c> listens: QEMU's <c>SocketAddressLegacy</c>/<c>SocketAddress</c>
/// as given in <c>addr</c>, either <c>{"type": "unix", "path": ...}</c> or
/// <c>{"type": "inet", "host": ..., "port": ...}</c> (port as a string, as QEMU takes it).
/// </summary>
public abstract record NbdServerAddress
{
    public sealed record Unix(string Path) : NbdServerAddress;

    public sealed record Inet(string Host, string Port) : NbdServerAddress;
}
