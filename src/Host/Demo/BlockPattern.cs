using System.Buffers.Binary;

namespace Host.Demo;

/// <summary>
/// The data the demo writes: every 4 KiB block carries its own index and a generation number in
/// its first 16 bytes, then pseudo-random words derived from both and the run's seed. So a block
/// is checked exactly, and a wrong one says what it is instead (a misdirected write shows the
/// index of the block it was meant for, a lost write an older generation).
/// </summary>
public static class BlockPattern
{
    public const int BlockSize = 4096;

    /// <summary>Fills <paramref name="block"/> with generation <paramref name="generation"/> of block <paramref name="index"/>; generation 0 is a block never written: zeros.</summary>
    public static void Fill(Span<byte> block, long index, int generation, long seed)
    {
        if (block.Length != BlockSize)
        {
            throw new ArgumentException($"a block is {BlockSize} bytes, not {block.Length}", nameof(block));
        }
        if (generation == 0)
        {
            block.Clear();
            return;
        }
        BinaryPrimitives.WriteInt64LittleEndian(block, index);
        BinaryPrimitives.WriteInt64LittleEndian(block[8..], generation);
        // xorshift64*, seeded from all three: cheap, and no two (seed, index, generation) agree.
        var state = (ulong)seed ^ ((ulong)index * 0x9E3779B97F4A7C15UL) ^ ((ulong)generation * 0xC2B2AE3D27D4EB4FUL) | 1;
        for (var i = 16; i < BlockSize; i += 8)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            BinaryPrimitives.WriteUInt64LittleEndian(block[i..], state * 0x2545F4914F6CDD1DUL);
        }
    }

    /// <summary>Whether <paramref name="block"/> holds generation <paramref name="generation"/> of block <paramref name="index"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> block, long index, int generation, long seed)
    {
        Span<byte> expected = stackalloc byte[BlockSize];
        Fill(expected, index, generation, seed);
        return block.SequenceEqual(expected);
    }

    /// <summary>What <paramref name="block"/> holds, in words: zeros, a generation of some block, or data the demo never wrote.</summary>
    public static string Describe(ReadOnlySpan<byte> block, long seed)
    {
        if (!block.ContainsAnyExcept((byte)0))
        {
            return "zeros";
        }
        var index = BinaryPrimitives.ReadInt64LittleEndian(block);
        var generation = BinaryPrimitives.ReadInt64LittleEndian(block[8..]);
        if (generation is > 0 and <= int.MaxValue && index >= 0)
        {
            return Matches(block, index, (int)generation, seed)
                ? $"generation {generation} of block {index}"
                : $"generation {generation} of block {index}, damaged";
        }
        return "data the demo never wrote";
    }
}
