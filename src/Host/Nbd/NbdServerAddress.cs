namespace Host.Nbd;

/// <summary>
/// Where <c>nbd-server-start</c> listens: QEMU's <c>addr</c>, either
/// <c>{"type": "unix", "data": {"path": ...}}</c> or <c>{"type": "inet", "data": {"host": ..., "port": ...}}</c>
/// (or the same fields without "data"); the port is a string, as QEMU takes it.
/// </summary>
public abstract record NbdServerAddress
{
    public sealed record Unix(string Path) : NbdServerAddress;

    public sealed record Inet(string Host, string Port) : NbdServerAddress;
}
