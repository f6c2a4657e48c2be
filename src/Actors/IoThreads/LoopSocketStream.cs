namespace Actors.IoThreads;

/// <summary>
/// A <see cref="LoopSocket"/> as a <see cref="Stream"/>, for a layer that takes a stream (TLS's
/// <c>SslStream</c>): its reads and writes wait on the socket's loop as the socket's own do.
/// Asynchronous only (a synchronous call would block the loop); it does not own the socket.
/// Cancellation tokens are not watched: closing the socket is what ends a wait.
/// </summary>
public sealed class LoopSocketStream(LoopSocket socket) : Stream
{
    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => socket.ReceiveAsync(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        socket.ReceiveAsync(buffer.AsMemory(offset, count)).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            buffer = buffer[await socket.SendAsync(buffer)..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Nothing is buffered here: a write has reached the socket when it completes.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw SyncRefused();

    public override void Write(byte[] buffer, int offset, int count) => throw SyncRefused();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private static NotSupportedException SyncRefused() => new("A loop socket is asynchronous: a blocking call would stall its event loop.");
}
