using Nodes.Drivers;

namespace Nodes.Tests.Samples;

/// <summary>
/// The sample custom filter, the template for your own: it passes every request to its child
/// and counts them. Register it in code (<c>DriverRegistry.Register(DriverInfo.Filter("counter"), s => new CountingFilter(s))</c>)
/// or in HOCON:
/// <code>nodes.drivers.counter { type = "Nodes.Tests.Samples.CountingFilter, Nodes.Tests", kind = filter }</code>
/// then create it with blockdev-add (<c>driver=counter,file=...</c>) like any built-in.
/// Only what the filter changes is overridden; <see cref="FilterNode"/> forwards the rest.
/// </summary>
public sealed class CountingFilter(NodeSettings settings) : FilterNode(settings)
{
    private long _reads;
    private long _writes;

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    public override ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        Interlocked.Increment(ref _reads);
        return base.ReadAsync(offset, buffer);
    }

    public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        Interlocked.Increment(ref _writes);
        return base.WriteAsync(offset, data, fua);
    }
}
