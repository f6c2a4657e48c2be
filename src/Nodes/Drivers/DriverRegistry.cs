using System.Collections.Concurrent;
using Nodes.Graph;
using HoconConfig = Actors.Config.Config;

namespace Nodes.Drivers;

/// <summary>
/// The drivers a host can instantiate, by name: the built-ins and the ones users add, in code
/// (<see cref="Register"/>) or in HOCON under <c>nodes.drivers</c>:
/// <code>nodes.drivers.my-filter { type = "MyCompany.MyFilter, MyAssembly", kind = filter }</code>
/// A driver type derives from <see cref="BlockNode"/> (a filter from <see cref="FilterNode"/>)
/// and has a public constructor taking <see cref="NodeSettings"/>.
/// </summary>
public sealed class DriverRegistry
{
    private readonly ConcurrentDictionary<string, (DriverInfo Info, Func<NodeSettings, BlockNode> Factory)> _drivers = new(StringComparer.Ordinal);

    /// <summary>
    /// A registry with the built-in drivers; <c>file</c> is offered when the host has a disk
    /// backend, and <c>nbd</c> finds its <c>tls-creds</c> in <paramref name="tlsCreds"/>.
    /// </summary>
    public static DriverRegistry CreateDefault(Disk.DiskBackend? disk = null, Tls.TlsCredsRegistry? tlsCreds = null)
    {
        var registry = new DriverRegistry();
        if (disk is not null)
        {
            registry.Register(DriverInfo.Protocol("file"), s => new FileNode(s, disk));
        }
        registry.Register(DriverInfo.Protocol("null-co"), s => new NullCoNode(s));
        var creds = tlsCreds ?? new Tls.TlsCredsRegistry();
        registry.Register(DriverInfo.Protocol("nbd"), s => new NbdNode(s, creds));
        registry.Register(DriverInfo.Format("raw"), s => new RawNode(s));
        registry.Register(DriverInfo.Format("qcow2"), s => new Qcow2Node(s));
        registry.Register(DriverInfo.Filter("copy-on-read"), s => new CopyOnReadNode(s));
        registry.Register(DriverInfo.Filter("throttle"), s => new ThrottleNode(s));
        registry.Register(DriverInfo.Filter("blkdebug"), s => new BlkDebugNode(s));
        return registry;
    }

    /// <summary>Adds a driver; its name must be new.</summary>
    public void Register(DriverInfo info, Func<NodeSettings, BlockNode> factory)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(factory);
        if (!_drivers.TryAdd(info.Name, (info, factory)))
        {
            throw new ArgumentException($"Driver '{info.Name}' is already registered.", nameof(info));
        }
    }

    /// <summary>Adds the drivers named under <c>nodes.drivers</c> in <paramref name="config"/>.</summary>
    public void RegisterFromConfig(HoconConfig config)
    {
        var section = config.GetConfig("nodes.drivers");
        foreach (var name in section.Keys)
        {
            var entry = section.GetConfig(name);
            var typeName = entry.GetString("type");
            var type = Type.GetType(typeName, throwOnError: false)
                ?? throw new ArgumentException($"nodes.drivers.{name}.type: cannot load type '{typeName}'");
            if (!typeof(BlockNode).IsAssignableFrom(type) || type.GetConstructor([typeof(NodeSettings)]) is not { } constructor)
            {
                throw new ArgumentException($"nodes.drivers.{name}.type: '{typeName}' must derive from BlockNode and have a constructor taking NodeSettings");
            }
            var info = entry.GetString("kind", typeof(FilterNode).IsAssignableFrom(type) ? "filter" : "protocol") switch
            {
                "filter" => DriverInfo.Filter(name),
                "format" => DriverInfo.Format(name),
                "protocol" => DriverInfo.Protocol(name),
                var kind => throw new ArgumentException($"nodes.drivers.{name}.kind: expected filter, format or protocol, got '{kind}'"),
            };
            Register(info, settings => (BlockNode)constructor.Invoke([settings]));
        }
    }

    /// <summary>The driver's graph rules, or null when no such driver is registered.</summary>
    public DriverInfo? Info(string driver) => _drivers.TryGetValue(driver, out var entry) ? entry.Info : null;

    public IEnumerable<string> Names => _drivers.Keys;

    /// <summary>Instantiates a node of <paramref name="driver"/>, attaches <paramref name="children"/> and opens it.</summary>
    public async ValueTask<BlockNode> OpenAsync(string driver, NodeSettings settings, IReadOnlyDictionary<string, BlockNode> children)
    {
        if (!_drivers.TryGetValue(driver, out var entry))
        {
            throw new GraphException($"Unknown driver '{driver}'");
        }
        var node = entry.Factory(settings);
        foreach (var (role, child) in children)
        {
            node.SetChild(role, child);
        }
        if (Actors.IoThreads.EventLoop.Current is { } loop)
        {
            node.AttachToLoop(loop);
        }
        await node.OpenAsync();
        return node;
    }
}
