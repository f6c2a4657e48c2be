using System.Runtime.InteropServices;

namespace Actors.Persistence;

/// <summary>Payloads as Microsoft.Data.Sqlite binds them (a whole <c>byte[]</c>), copied only when they are a slice.</summary>
internal static class SqliteBlob
{
    public static byte[] AsArray(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();
}
