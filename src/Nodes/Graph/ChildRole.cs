namespace Nodes.Graph;

/// <summary>What a child is to its parent (QEMU's BdrvChildRole): the edge's label.</summary>
public static class ChildRole
{
    /// <summary>The protocol or format layer below (a format's image file).</summary>
    public const string File = "file";

    /// <summary>The backing image of a format.</summary>
    public const string Backing = "backing";

    /// <summary>The node a filter passes requests to.</summary>
    public const string Filtered = "filtered";

    /// <summary>The export's parent edge (an export holds its node like a parent does).</summary>
    public const string Export = "export";
}
