using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>A reader that left the graph while a writer waited for it: where it ran, on which node, doing what.</summary>
/// <param name="Context">The IoThread it unlocked on.</param>
/// <param name="Node">The node the request entered the graph at, when the request named it.</param>
/// <param name="Kind">The request's type (<c>read</c>, <c>write</c>, <c>flush</c>, ...), when the request named it.</param>
[Manifest("graph-lock.drain-reader.v1")]
public sealed record DrainReader(string Context, string? Node, string? Kind)
{
    /// <summary>For an operator: <c>flush on 'disk' (io0)</c>.</summary>
    public override string ToString() => $"{Kind ?? "request"} on '{Node ?? "?"}' ({Context})";
}
