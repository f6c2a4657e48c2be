using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Actors.Config;
using Host.Cli;
using Host.Hosting;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace Host.Tests.Cluster;

/// <summary>
/// Remoting between hosts over TLS (<c>actors.cluster.tls</c>): members that hold the cluster's
/// certificate join each other; a host without it, or with another certificate, is refused at the
/// TLS handshake and never becomes a member. Each member is an actor system configured as the host's
/// command line would configure it, on a loopback port of its own.
/// </summary>
public sealed class ClusterTlsTests : TestKit, IAsyncLifetime
{
    private const string Password = "cluster-secret";
    private static readonly TimeSpan s_converge = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("cluster-tls-");
    private readonly List<ActorSystem> _members = [];
    private readonly string _clusterCertificate;
    private ActorSystem _h1 = null!;
    private int _h1Port;

    public ClusterTlsTests(ITestOutputHelper output)
        : base(output: output)
    {
        _clusterCertificate = TestCertificate.Create(Path.Combine(_dir.FullName, "cluster.p12"), "actors-cluster", Password);
    }

    /// <summary>h1, holding the cluster's certificate, forms the cluster.</summary>
    public async Task InitializeAsync()
    {
        _h1Port = LoopbackPorts.Free();
        _h1 = Member(_h1Port, join: false, "--set", $"actors.cluster.tls.certificate={_clusterCertificate}", "--set", $"actors.cluster.tls.password={Password}");
        await AwaitAssertAsync(() => Assert.Equal(1, UpMembers(_h1)), s_converge);
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_members.Select(m => m.Terminate()));
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Members_with_the_cluster_certificate_join_each_other_over_TLS()
    {
        var h2 = Member(LoopbackPorts.Free(), join: true, "--set", $"actors.cluster.tls.certificate={_clusterCertificate}", "--set", $"actors.cluster.tls.password={Password}");

        await AwaitAssertAsync(() => Assert.Equal((2, 2), (UpMembers(_h1), UpMembers(h2))), s_converge);
        Assert.True(_h1.Settings.Config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
    }

    [Fact]
    public async Task A_host_without_TLS_is_refused_at_the_handshake_and_never_becomes_a_member()
    {
        var refused = WatchTlsRefusals(_h1);
        var plain = Member(LoopbackPorts.Free(), join: true);

        await refused.ExpectMsgAsync<Warning>(s_converge);

        AssertNotAMember(plain);
    }

    [Fact]
    public async Task A_host_with_another_certificate_is_refused_and_its_own_system_stops()
    {
        var other = TestCertificate.Create(Path.Combine(_dir.FullName, "other.p12"), "actors-cluster", Password);
        var intruder = Member(LoopbackPorts.Free(), join: true, "--set", $"actors.cluster.tls.certificate={other}", "--set", $"actors.cluster.tls.password={Password}");

        // Akka stops a system whose outbound TLS handshake fails; the host then exits, saying so.
        await intruder.WhenTerminated.WaitAsync(s_converge);

        Assert.Contains("TLS handshake failed", $"{CoordinatedShutdown.Get(intruder).ShutdownReason}");
        AssertNotAMember(intruder);
    }

    /// <summary>An actor system of the cluster on <paramref name="port"/>, joining h1 when <paramref name="join"/>, as <c>actors-host</c> would configure it.</summary>
    private ActorSystem Member(int port, bool join, params string[] options)
    {
        string[] joining = join ? ["--join", $"127.0.0.1:{_h1Port}"] : [];
        var config = HostCommand.LoadConfig(HostOptions.Parse(["--cluster-port", $"{port}", .. joining, .. options]));
        var system = AkkaHandover.CreateSystem(StorageHost.SystemName, config, loggerFactory: null);
        _members.Add(system);
        return system;
    }

    /// <summary>A probe that gets each warning of <paramref name="member"/> about a connection it refused at the TLS handshake.</summary>
    private Akka.TestKit.TestProbe WatchTlsRefusals(ActorSystem member)
    {
        var probe = CreateTestProbe();
        var filter = Sys.ActorOf(Props.Create(() => new TlsRefusalFilter(probe.Ref)));
        member.EventStream.Subscribe(filter, typeof(Warning));
        return probe;
    }

    private void AssertNotAMember(ActorSystem system)
    {
        var address = Akka.Cluster.Cluster.Get(system).SelfAddress;
        Assert.DoesNotContain(Akka.Cluster.Cluster.Get(_h1).State.Members, m => m.Address == address);
        Assert.Equal(1, UpMembers(_h1));
    }

    private static int UpMembers(ActorSystem system) => Akka.Cluster.Cluster.Get(system).State.Members.Count(m => m.Status == MemberStatus.Up);

    /// <summary>Passes on the warnings DotNetty's server handler logs when a TLS handshake fails.</summary>
    private sealed class TlsRefusalFilter : ReceiveActor
    {
        public TlsRefusalFilter(IActorRef target) =>
            Receive<Warning>(w => w.Message.ToString()!.Contains("TLS handshake failure", StringComparison.Ordinal), target.Forward);
    }
}
