using System.Net;
using System.Net.Sockets;

namespace Host.Tests.Cluster;

/// <summary>
/// A TCP relay in front of one host's remoting port, so a test can cut hosts off the network:
/// the host advertises the relay's port (<c>akka.remote.dot-netty.tcp.public-port</c>), so every
/// other member reaches it through here. Cutting its host closes every connection and refuses
/// new ones: the host hears no member. A host cut off must not be heard either, so every other
/// relay closes and refuses the connections that host opened (<see cref="CutFrom"/>; each host
/// sends only on connections it opened): a partition both sides see, with nothing going round it
/// (the cut host's gossip reaching the others would make them suspect each other).
/// </summary>
internal sealed class LoopbackRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly List<(TcpClient Inbound, TcpClient Outbound)> _connections = [];
    // The processes whose connections are refused, as cut off.
    private readonly HashSet<int> _cutSources = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _cut;

    public LoopbackRelay(int target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port that leads to the host.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Closes every connection through the relay and refuses new ones: nothing reaches the host.</summary>
    public void Cut()
    {
        _cut = true;
        lock (_lock)
        {
            _connections.ForEach(Close);
            _connections.Clear();
        }
    }

    /// <summary>
    /// Closes the connections process <paramref name="pid"/> opened through the relay, and refuses
    /// its new ones. Returns how many it closed.
    /// </summary>
    public int CutFrom(int pid)
    {
        lock (_lock)
        {
            _cutSources.Add(pid);
            var closed = _connections.Where(c => IsCutSource(c.Inbound)).ToList();
            foreach (var connection in closed)
            {
                Close(connection);
                _connections.Remove(connection);
            }
            return closed.Count;
        }
    }

    private static void Close((TcpClient Inbound, TcpClient Outbound) connection)
    {
        connection.Inbound.Dispose();
        connection.Outbound.Dispose();
    }

    /// <summary>Whether a process cut off opened <paramref name="inbound"/>. Under the lock.</summary>
    private bool IsCutSource(TcpClient inbound) =>
        _cutSources.Count > 0 && inbound.Client.RemoteEndPoint is IPEndPoint client && SocketOwner.Find(client.Port, Port, _cutSources) is not null;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            bool refused;
            lock (_lock)
            {
                refused = _cut || IsCutSource(inbound);
            }
            if (refused)
            {
                inbound.Dispose();
                continue;
            }
            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        lock (_lock)
        {
            _connections.Add((inbound, outbound));
        }
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection was cut, or one side went away: both ends close below.
        }
        finally
        {
            inbound.Dispose();
            outbound.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stop.Dispose();
    }
}
