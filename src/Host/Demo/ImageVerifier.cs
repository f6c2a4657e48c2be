using Microsoft.Win32.SafeHandles;
using Nodes.Nbd;

namespace Host.Demo;

/// <summary>The demos' last check: every block of an export, read over NBD and from its image file, against the model of what was last written.</summary>
public static class ImageVerifier
{
    /// <summary>
    /// Reads the whole image over <paramref name="client"/> and from the file
    /// <paramref name="image"/> (<paramref name="imageName"/> in messages), checks each block
    /// against <paramref name="model"/> and the <paramref name="seed"/> it was written with, and
    /// returns the blocks verified; blocks that differ throw a <see cref="DemoCheckException"/>
    /// naming the first few and where they were read.
    /// </summary>
    public static async Task<long> VerifyAsync(BlockModel model, NbdClient client, string image, string imageName, long seed)
    {
        const int chunk = 1 << 20;
        var size = model.Blocks * BlockPattern.BlockSize;
        var buffer = new byte[chunk];
        var mismatches = new List<string>();
        var total = 0L;
        using var file = File.OpenHandle(image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        foreach (var (source, read) in new (string, Func<long, Memory<byte>, Task>)[]
        {
            ("over NBD", async (offset, into) => await client.ReadAsync(offset, into)),
            ($"in the image file {imageName}", (offset, into) => ReadFileAsync(file, imageName, offset, into)),
        })
        {
            for (var offset = 0L; offset < size; offset += chunk)
            {
                var length = (int)Math.Min(chunk, size - offset);
                await read(offset, buffer.AsMemory(0, length));
                for (var at = 0; at < length; at += BlockPattern.BlockSize)
                {
                    var block = (offset + at) / BlockPattern.BlockSize;
                    var data = buffer.AsSpan(at, BlockPattern.BlockSize);
                    var generation = model.Generation(block);
                    if (!BlockPattern.Matches(data, block, generation, seed))
                    {
                        mismatches.Add($"block {block} (offset {block * BlockPattern.BlockSize}) {source} holds {BlockPattern.Describe(data, seed)}, expected generation {generation}");
                    }
                    total++;
                }
            }
        }
        if (mismatches.Count > 0)
        {
            throw new DemoCheckException($"verification failed, {mismatches.Count} block(s) differ from the model: {string.Join("; ", mismatches.Take(4))}{(mismatches.Count > 4 ? "; ..." : "")}");
        }
        return total / 2;
    }

    private static async Task ReadFileAsync(SafeFileHandle file, string imageName, long offset, Memory<byte> into)
    {
        var read = await RandomAccess.ReadAsync(file, into, offset);
        if (read != into.Length)
        {
            throw new DemoCheckException($"{imageName} is shorter than the export: {read} bytes at offset {offset}, expected {into.Length}");
        }
    }
}
