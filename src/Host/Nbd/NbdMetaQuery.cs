namespace Host.Nbd;

/// <summary>
/// Names and ids of the metadata contexts, and what a query of NBD_OPT_LIST_META_CONTEXT or
/// NBD_OPT_SET_META_CONTEXT selects. Queries are matched as QEMU's server matches them: a
/// full name selects its context; a bare namespace (<c>base:</c>, <c>qemu:</c>) lists all of
/// that namespace's contexts but selects none; anything else is ignored, as the spec requires.
/// </summary>
internal static class NbdMetaQuery
{
    /// <summary>The context id of <c>base:allocation</c> in BLOCK_STATUS replies; ids are ours to choose.</summary>
    public const uint BaseAllocationId = 1;

    /// <summary>The context id of <c>qemu:allocation-depth</c>.</summary>
    public const uint AllocationDepthId = 2;

    public static ReadOnlySpan<byte> BaseAllocation => "base:allocation"u8;

    public static ReadOnlySpan<byte> AllocationDepth => "qemu:allocation-depth"u8;

    /// <summary>The contexts <paramref name="query"/> selects; <paramref name="listing"/> for LIST, where namespaces act as wildcards.</summary>
    public static NbdMetaContexts Match(ReadOnlySpan<byte> query, bool listing)
    {
        if (query.SequenceEqual(BaseAllocation))
        {
            return NbdMetaContexts.BaseAllocation;
        }
        if (query.SequenceEqual(AllocationDepth))
        {
            return NbdMetaContexts.AllocationDepth;
        }
        if (listing && query.SequenceEqual("base:"u8))
        {
            return NbdMetaContexts.BaseAllocation;
        }
        if (listing && query.SequenceEqual("qemu:"u8))
        {
            return NbdMetaContexts.AllocationDepth;
        }
        return NbdMetaContexts.None;
    }
}
