namespace Host.Nbd;

/// <summary>The metadata contexts this server offers for NBD_CMD_BLOCK_STATUS, as a set.</summary>
[Flags]
internal enum NbdMetaContexts
{
    None = 0,

    /// <summary><c>base:allocation</c>: hole and zero flags per extent (the protocol's own context).</summary>
    BaseAllocation = 1 << 0,

    /// <summary><c>qemu:allocation-depth</c>: which layer of the backing chain holds each extent (0: none).</summary>
    AllocationDepth = 1 << 1,

    All = BaseAllocation | AllocationDepth,
}
