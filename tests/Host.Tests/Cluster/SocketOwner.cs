using System.Globalization;

namespace Host.Tests.Cluster;

/// <summary>
/// Which process holds the client end of a loopback TCP connection, from Linux's /proc: the
/// socket is found by its ports in /proc/net/tcp (and tcp6), then the process by that socket's
/// inode among its open files.
/// </summary>
internal static class SocketOwner
{
    /// <summary>
    /// The one of <paramref name="candidates"/> (process ids) holding the socket whose local port
    /// is <paramref name="clientPort"/> and remote port <paramref name="serverPort"/>, or null.
    /// </summary>
    public static int? Find(int clientPort, int serverPort, IEnumerable<int> candidates)
    {
        var inodes = Inodes(clientPort, serverPort);
        if (inodes.Count == 0)
        {
            return null;
        }
        foreach (var pid in candidates)
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)))
                {
                    return pid;
                }
            }
            catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
            {
                // The process exited, or the descriptor closed while being read: not this one.
            }
        }
        return null;
    }

    /// <summary>The inodes, as their fd links read (<c>socket:[N]</c>), of the sockets from <paramref name="clientPort"/> to <paramref name="serverPort"/>.</summary>
    private static HashSet<string> Inodes(int clientPort, int serverPort)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && PortOf(fields[1]) == clientPort && PortOf(fields[2]) == serverPort)
                {
                    inodes.Add($"socket:[{fields[9]}]");
                }
            }
        }
        return inodes;
    }

    private static int PortOf(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
