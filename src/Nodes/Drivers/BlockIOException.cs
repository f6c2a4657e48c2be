namespace Nodes.Drivers;

/// <summary>A block request failed with <see cref="Errno"/>; the message names the node.</summary>
public sealed class BlockIOException(Errno errno, string message) : IOException(message)
{
    public Errno Errno { get; } = errno;
}
