using Actors.Serialization;

namespace Actors.IoThreads;

/// <summary>Asks an IoThread for its <see cref="IoThreadStatus"/>.</summary>
[Manifest("iothread.query.v1")]
public sealed record QueryIoThread
{
    public static readonly QueryIoThread Instance = new();
}
