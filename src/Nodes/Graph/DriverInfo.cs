using System.Collections.Immutable;

namespace Nodes.Graph;

/// <summary>
/// What the graph needs to know about a driver to validate changes: which child roles it takes
/// and which it requires, and whether it is a filter (it has one child it passes requests to).
/// </summary>
/// <param name="Name">The driver name used in <c>blockdev-add</c> (<c>file</c>, <c>raw</c>, ...).</param>
/// <param name="ChildRoles">Roles a node of this driver may have children in.</param>
/// <param name="RequiredRoles">Roles that must be filled when the node is added.</param>
/// <param name="IsFilter">Requests pass through to its single child; it can be inserted above a node.</param>
public sealed record DriverInfo(string Name, ImmutableArray<string> ChildRoles, ImmutableArray<string> RequiredRoles, bool IsFilter)
{
    /// <summary>A leaf driver: no children (<c>file</c>, <c>null-co</c>).</summary>
    public static DriverInfo Protocol(string name) => new(name, [], [], IsFilter: false);

    /// <summary>A format above a <c>file</c> child (<c>raw</c>).</summary>
    public static DriverInfo Format(string name) => new(name, [ChildRole.File, ChildRole.Backing], [ChildRole.File], IsFilter: false);

    /// <summary>A filter above one <c>file</c> child (<c>throttle</c>, <c>copy-on-read</c>, <c>blkdebug</c>).</summary>
    public static DriverInfo Filter(string name) => new(name, [ChildRole.File], [ChildRole.File], IsFilter: true);
}
