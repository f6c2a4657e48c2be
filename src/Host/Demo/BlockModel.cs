namespace Host.Demo;

/// <summary>
/// What the image must hold: the last generation written to each 4 KiB block. A request reserves
/// its block first, so no two requests touch one block at once and each read has exactly one
/// right answer.
/// </summary>
/// <remarks>
/// A reservation is an interlocked exchange (acquire) and its release a volatile write, so the
/// next request to reserve a block sees the generation the last one recorded.
/// </remarks>
public sealed class BlockModel(long blocks)
{
    private readonly int[] _generations = new int[blocks];
    private readonly int[] _reserved = new int[blocks];

    public long Blocks => _generations.LongLength;

    /// <summary>Reserves a block no request uses: <paramref name="start"/> or the next free one after it.</summary>
    public long Reserve(long start)
    {
        for (var i = 0L; ; i++)
        {
            var block = (start + i) % Blocks;
            if (Interlocked.CompareExchange(ref _reserved[block], 1, 0) == 0)
            {
                return block;
            }
        }
    }

    public void Release(long block) => Volatile.Write(ref _reserved[block], 0);

    /// <summary>The generation the block holds (read it while the block is reserved, or once I/O stopped).</summary>
    public int Generation(long block) => _generations[block];

    /// <summary>Records that a write of <paramref name="generation"/> to the reserved <paramref name="block"/> completed.</summary>
    public void Written(long block, int generation) => _generations[block] = generation;

    /// <summary>Blocks written at least once.</summary>
    public long WrittenBlocks => _generations.Count(g => g > 0);
}
