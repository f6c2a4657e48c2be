using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;

namespace Host.Cluster;

/// <summary>
/// The cluster as one host sees it (QMP <c>x-query-cluster</c>): its members, the host the
/// Coordinator runs on and this host. A lone host is a cluster of one, up, and its own Coordinator.
/// </summary>
/// <param name="Members">By address.</param>
/// <param name="Coordinator">The host of the oldest up member, where Akka runs the cluster singletons; null while no member is up.</param>
/// <param name="Self">This host.</param>
public sealed record ClusterStatus(ImmutableArray<ClusterMember> Members, string? Coordinator, string Self)
{
    /// <summary>
    /// Reads Akka's membership in <paramref name="system"/> and asks every other reachable member
    /// for its name, waiting at most <paramref name="timeout"/> (a member that does not answer by
    /// then is named by its address). <paramref name="selfNbd"/> is where this host's NBD server listens.
    /// </summary>
    public static async Task<ClusterStatus> QueryAsync(ActorSystem system, string self, string? selfNbd, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(system);
        var provider = ((ExtendedActorSystem)system).Provider;
        if (provider is not ClusterActorRefProvider)
        {
            var alone = new ClusterMember(self, provider.DefaultAddress.ToString(), "up", [], Reachable: true, selfNbd);
            return new ClusterStatus([alone], self, self);
        }
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var identities = await Task.WhenAll(state.Members.Select(m =>
            m.Address == cluster.SelfAddress ? Task.FromResult(new HostIdentified(self, selfNbd))
            : unreachable.Contains(m.Address) || m.Status is MemberStatus.Down or MemberStatus.Removed ? Task.FromResult(new HostIdentified(m.Address.ToString(), null))
            : IdentifyAsync(system, m.Address, timeout))).ConfigureAwait(false);
        var members = state.Members.Zip(identities, (m, identity) => new ClusterMember(
            identity.Host,
            m.Address.ToString(),
            StatusName(m.Status),
            [.. m.Roles.Order(StringComparer.Ordinal)],
            !unreachable.Contains(m.Address),
            identity.NbdServer));
        var oldest = state.Members.Zip(identities, (m, identity) => (Member: m, identity.Host))
            .Where(p => p.Member.Status == MemberStatus.Up)
            .OrderBy(p => p.Member, Member.AgeOrdering)
            .Select(p => p.Host)
            .FirstOrDefault();
        return new ClusterStatus([.. members], oldest, self);
    }

    private static async Task<HostIdentified> IdentifyAsync(ActorSystem system, Address address, TimeSpan timeout)
    {
        try
        {
            return await system.ActorSelection(HostIdentity.Path(address)).Ask<HostIdentified>(IdentifyHost.Instance, timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return new HostIdentified(address.ToString(), null);
        }
    }

    /// <summary><c>WeaklyUp</c> as <c>weakly-up</c>: QMP's spelling of enum values.</summary>
    private static string StatusName(MemberStatus status) =>
        string.Concat(status.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : $"{char.ToLowerInvariant(c)}"));
}
