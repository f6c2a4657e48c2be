using Actors.GraphLock;
using Nodes.Drivers;
using Nodes.Lifecycle;
using Nodes.Tls;

namespace Host.Hosting;

/// <summary>What a storage host is made of, from its configuration (<c>host { ... }</c>) and command line.</summary>
/// <param name="DataDir">The host's data dir (the journal lives there unless configured otherwise).</param>
/// <param name="ImagesDir">
/// Where images may be: null for anywhere (file names as qemu-storage-daemon takes them, absolute or
/// relative to the working directory), else the directory image file names are relative to and may not leave.
/// </param>
/// <param name="IoThreads">The IoThreads started with the host (their names are graph-lock contexts).</param>
public sealed record StorageHostOptions(string DataDir, string? ImagesDir, IReadOnlyList<string> IoThreads)
{
    /// <summary>How long the start waits for the graph's recovery from its journal (replay and reopening the nodes).</summary>
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The graph lock's settings; from <c>actors.graph-lock</c> when null (tests add a monitor).</summary>
    public GraphLockOptions? LockOptions { get; init; }

    /// <summary>
    /// The host's TLS credentials objects (<c>--object tls-creds-x509</c>, QMP <c>object-add</c>):
    /// filled before the start, so nbd nodes recovered from the journal find theirs.
    /// </summary>
    public TlsCredsRegistry TlsCreds { get; init; } = new();

    /// <summary>Registers drivers besides the built-in ones and those of <c>nodes.drivers</c> (tests, embedders).</summary>
    public Action<DriverRegistry>? Drivers { get; init; }

    /// <summary>The history a journal of the earlier format holds, imported once into an empty journal.</summary>
    public Func<IReadOnlyList<IGraphEvent>?>? LegacyHistory { get; init; }
}
