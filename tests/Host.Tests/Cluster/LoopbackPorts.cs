using System.Net;
using System.Net.Sockets;

namespace Host.Tests.Cluster;

/// <summary>TCP ports for hosts that must know their remoting port before they start (a host that forms the cluster).</summary>
internal static class LoopbackPorts
{
    /// <summary>A port free on loopback now: the system picks it, and it is released at once for the host to take.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
