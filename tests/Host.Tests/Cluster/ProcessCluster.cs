using System.Net;
using System.Net.Sockets;
using Host.Tests.Cli;
using Host.Tests.Qmp;
using TestTools;

namespace Host.Tests.Cluster;

/// <summary>
/// Hosts as a user runs them: <c>actors-host</c> processes on loopback forming one cluster, each
/// with its own directory (data, images, its QMP and NBD Unix sockets), the graph's journal in a
/// PostgreSQL schema of the test's own (<c>hocon/postgres.conf</c>), and a
/// <see cref="LoopbackRelay"/> in front of each remoting port, so a test can kill a host
/// (<c>kill -9</c>), stop it (SIGTERM) or cut it off the network. h1 is the seed, so the oldest
/// member: the Coordinator and the graph's owner start there.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>
    /// Settings of the test cluster. Each host writes to another through its own outbound
    /// connection only (no reply over a connection the other opened): so a cut relay silences
    /// everything sent to its host, and nothing goes round it.
    /// </summary>
    private static readonly string[] Settings =
    [
        "akka.remote.use-passive-connections = off",
    ];

    private readonly string _root = Directory.CreateTempSubdirectory("process-cluster-").FullName;
    private readonly string _schema = PostgresTestDatabase.NewSchema();
    private readonly List<Member> _members = [];

    private ProcessCluster() => PostgresTestDatabase.CreateSchema(_schema);

    public IReadOnlyList<Member> Members => _members;

    public Member this[string name] => _members.Single(m => m.Name == name);

    /// <summary>Starts hosts h1..h<paramref name="count"/> one after the other, each up (joined) before the next.</summary>
    public static async Task<ProcessCluster> StartAsync(int count)
    {
        var cluster = new ProcessCluster();
        try
        {
            for (var i = 1; i <= count; i++)
            {
                cluster._members.Add(new Member($"h{i}", Path.Combine(cluster._root, $"h{i}")));
            }
            foreach (var member in cluster._members)
            {
                await cluster.StartAsync(member);
            }
            foreach (var member in cluster._members)
            {
                await cluster.WaitUntilAllUpAsync(member);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(Member member)
    {
        Directory.CreateDirectory(member.Directory);
        var seed = _members[0].Relay.Port;
        string[] arguments =
        [
            "--data-dir", Path.Combine(member.Directory, "data"),
            "--config", Path.Combine(RepositoryRoot, "hocon", "postgres.conf"),
            "--set", $"actors.host = {member.Name}",
            "--set", "akka.actor.provider = cluster",
            "--set", "akka.remote.dot-netty.tcp.hostname = \"127.0.0.1\"",
            "--set", $"akka.remote.dot-netty.tcp.port = {member.RemotingPort}",
            "--set", $"akka.remote.dot-netty.tcp.public-port = {member.Relay.Port}",
            "--set", $"akka.cluster.seed-nodes = [\"akka.tcp://actors@127.0.0.1:{seed}\"]",
            "--set", $"akka.persistence.journal.sql.connection-string = \"{PostgresTestDatabase.ConnectionString};Search Path={_schema}\"",
            .. Settings.SelectMany(setting => new[] { "--set", setting }),
            "--nbd-server", $"addr.type=unix,addr.path={member.NbdSocket}",
            "--chardev", $"socket,id=qmp,path={member.QmpSocket},server=on,wait=off",
            "--monitor", "chardev=qmp",
        ];
        member.Process = await HostExecutable.StartAsync(member.Directory, arguments);
    }

    /// <summary>
    /// Waits until <paramref name="member"/> sees every member up and reachable: before that, its
    /// resolver would count a member still joining as absent (and, when a host dies, might keep
    /// the wrong side).
    /// </summary>
    private async Task WaitUntilAllUpAsync(Member member)
    {
        using var deadline = new CancellationTokenSource(ExternalTool.Timeout);
        while (true)
        {
            await using (var qmp = await QmpAsync(member))
            {
                var members = (await qmp.ReturnOfAsync("x-query-cluster"))["members"]!.AsArray();
                if (members.Count == _members.Count && members.All(m => (string?)m!["status"] == "up" && (bool?)m["reachable"] == true))
                {
                    return;
                }
            }
            await Task.Delay(100, deadline.Token);
        }
    }

    /// <summary>
    /// Cuts <paramref name="member"/> off the others: nothing reaches it through its relay, and
    /// nothing it sends reaches them through theirs (see <see cref="LoopbackRelay"/>).
    /// </summary>
    public void CutOff(Member member)
    {
        member.Relay.Cut();
        foreach (var other in _members.Where(m => m != member))
        {
            // A member up talks to every other on a connection of its own: none found means the
            // relay could not tell whose connections it carries, and the cut would be one-sided.
            if (other.Relay.CutFrom(member.Process!.Id) == 0)
            {
                throw new InvalidOperationException($"No connection of {member.Name} (pid {member.Process.Id}) found through {other.Name}'s relay");
            }
        }
    }

    /// <summary>A QMP session with <paramref name="member"/>, capabilities negotiated.</summary>
    public static Task<QmpTestClient> QmpAsync(Member member) => QmpTestClient.ConnectNegotiatedAsync(member.QmpSocket);

    /// <summary>The rows of the graph's journal whose event is <paramref name="manifest"/> and names <paramref name="node"/>.</summary>
    public int JournalEvents(string manifest, string node) =>
        PostgresTestDatabase.Strings($"SELECT convert_from(message, 'UTF8') FROM \"{_schema}\".akka_journal WHERE manifest = '{manifest}'")
            .Count(json => json.Contains($"\"node\":\"{node}\"", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            if (member.Process is { } process)
            {
                await process.DisposeAsync();
            }
            await member.Relay.DisposeAsync();
        }
        PostgresTestDatabase.DropSchema(_schema);
        Directory.Delete(_root, recursive: true);
    }

    private static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Actors.sln")))
            {
                directory = directory.Parent;
            }
            return directory?.FullName ?? throw new InvalidOperationException($"No Actors.sln above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>One host of the cluster.</summary>
    internal sealed class Member
    {
        public Member(string name, string directory)
        {
            Name = name;
            Directory = directory;
            RemotingPort = FreePort();
            Relay = new LoopbackRelay(RemotingPort);
        }

        public string Name { get; }

        public string Directory { get; }

        public int RemotingPort { get; }

        /// <summary>What the other members reach this one through (its advertised port).</summary>
        public LoopbackRelay Relay { get; }

        public string QmpSocket => Path.Combine(Directory, "qmp.sock");

        public string NbdSocket => Path.Combine(Directory, "nbd.sock");

        public HostExecutable? Process { get; set; }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
