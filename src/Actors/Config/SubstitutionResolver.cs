using System.Runtime.CompilerServices;

namespace Actors.Config;

/// <summary>
/// Replaces every substitution of a merged config with the value it refers to.
/// <para>
/// Resolution is lazy and memoized per node, so a substitution may look forward in the file and
/// <c>bar { foo = 42, baz = ${bar.foo} }</c> resolves only <c>bar.foo</c>, not all of <c>bar</c>.
/// It works in two steps. <see cref="Shape"/> works out what a deferred node is (a string, an
/// array, an object whose fields may still be deferred, ...) and <see cref="Full"/> then resolves
/// everything inside it.
/// </para>
/// <para>
/// Self-references: while the shape of a deferred node is being worked out, a frame on
/// <see cref="_frames"/> records it. A lookup that reaches a node with an open frame would be a
/// cycle, so it looks back instead, at the layers of the field's merge stack below the one being
/// resolved: <c>a = [1]</c>, <c>a = ${a} [2]</c> gives [1, 2]. With nothing below the reference is
/// undefined (then the environment or <c>${?}</c> may help); but when the lookup got there through
/// another substitution (<c>a = ${b}</c>, <c>b = ${a}</c>) it is reported as a cycle.
/// </para>
/// </summary>
internal sealed class SubstitutionResolver
{
    private readonly HoconObject _root;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<HoconValue, HoconValue?> _shapes = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<HoconValue, HoconValue> _resolved = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<HoconValue> _resolving = new(ReferenceEqualityComparer.Instance);
    private readonly List<Frame> _frames = [];
    private readonly List<HoconSubstitution> _trail = [];

    private SubstitutionResolver(HoconObject root, Func<string, string?> environment)
    {
        _root = root;
        _environment = environment;
    }

    /// <summary>
    /// Resolves <paramref name="root"/>; a missing substitution falls back to the environment variable
    /// <paramref name="environment"/> returns for its path.
    /// </summary>
    public static HoconObject Resolve(HoconObject root, Func<string, string?> environment)
    {
        if (root.IsResolved)
        {
            return root;
        }

        return (HoconObject)new SubstitutionResolver(root, environment).Full(root, requestedBy: null)!;
    }

    private static void EnsureStack(SourcePosition at)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ConfigException(at, "substitutions are nested too deeply");
        }
    }

    // Returns the value with nothing deferred left inside, or null when it is undefined (an optional
    // substitution that found nothing): such a field or array element disappears.
    private HoconValue? Full(HoconValue value, HoconValue? requestedBy)
    {
        if (value.IsResolved)
        {
            return value;
        }

        EnsureStack(value.Position);
        switch (value)
        {
            case HoconObject or HoconArray:
                if (_resolved.TryGetValue(value, out var done))
                {
                    return done;
                }

                if (!_resolving.Add(value))
                {
                    var culprit = requestedBy as HoconSubstitution;
                    throw new ConfigException(
                        requestedBy?.Position ?? value.Position,
                        $"substitution cycle: {culprit?.Raw ?? "a value"} refers to the {value.Describe()} it is part of");
                }

                HoconValue result = value is HoconObject obj ? FullObject(obj) : FullArray((HoconArray)value);
                _resolving.Remove(value);
                _resolved[value] = result;
                return result;
            default:
                var shape = Shape(value);
                return shape is null ? null : Full(shape, value);
        }
    }

    private HoconObject FullObject(HoconObject obj)
    {
        var fields = new OrderedDictionary<string, HoconValue>();
        foreach (var (key, child) in obj.Fields)
        {
            if (Full(child, requestedBy: null) is { } resolved)
            {
                fields.Add(key, resolved);
            }
        }

        return new HoconObject(fields, obj.Position, obj.IgnoresFallbacks);
    }

    private HoconArray FullArray(HoconArray array)
    {
        var elements = new List<HoconValue>();
        foreach (var element in array.Elements)
        {
            if (Full(element, requestedBy: null) is { } resolved)
            {
                elements.Add(resolved);
            }
        }

        return new HoconArray(elements, array.Position);
    }

    // What a node is, with the fields of an object result possibly still deferred; null when undefined.
    private HoconValue? Shape(HoconValue node, bool reachedByLookup = false)
    {
        if (!node.IsDeferred)
        {
            return node;
        }

        if (_shapes.TryGetValue(node, out var known))
        {
            return known;
        }

        if (FindFrame(node) >= 0)
        {
            throw new ConfigException(node.Position, $"substitution cycle through {node.Describe()}");
        }

        EnsureStack(node.Position);
        var frame = new Frame(node, reachedByLookup);
        _frames.Add(frame);
        try
        {
            var shape = node switch
            {
                HoconSubstitution substitution => ResolveSubstitution(substitution),
                HoconConcatenation concatenation => ResolveConcatenation(concatenation),
                _ => ResolveStack((HoconMergeStack)node, ((HoconMergeStack)node).Layers.Count, frame),
            };
            _shapes[node] = shape;
            return shape;
        }
        finally
        {
            _frames.RemoveAt(_frames.Count - 1);
        }
    }

    private HoconValue? ResolveSubstitution(HoconSubstitution substitution)
    {
        _trail.Add(substitution);
        try
        {
            HoconValue? value = null;
            if (substitution.Prefix.Length > 0)
            {
                value = Lookup(substitution.Prefix.Concat(substitution.Path), substitution);
            }

            value ??= Lookup(substitution.Path, substitution);
            if (value is not null)
            {
                return value;
            }

            var name = substitution.Path.ToEnvironmentName();
            var variable = _environment(name);
            if (!string.IsNullOrEmpty(variable))
            {
                return new HoconString(variable, SourcePosition.Of($"env var {name}"));
            }

            if (substitution.IsOptional)
            {
                return null;
            }

            throw new ConfigException(
                substitution.Position,
                $"{substitution.Raw}: no value at '{substitution.Path}' and no environment variable '{name}'");
        }
        finally
        {
            _trail.RemoveAt(_trail.Count - 1);
        }
    }

    private HoconValue? ResolveConcatenation(HoconConcatenation concatenation)
    {
        var parts = new List<HoconValue>();
        foreach (var piece in concatenation.Pieces)
        {
            if (HoconConcatenation.IsSeparator(piece))
            {
                parts.Add(piece);
                continue;
            }

            // An undefined optional substitution drops out; one that is null adds nothing to a string.
            var shape = Shape(piece);
            if (shape is not null)
            {
                parts.Add(piece is HoconSubstitution && shape is HoconNull ? new HoconString("", shape.Position) : shape);
            }
        }

        while (parts.Count > 0 && HoconConcatenation.IsSeparator(parts[0]))
        {
            parts.RemoveAt(0);
        }

        while (parts.Count > 0 && HoconConcatenation.IsSeparator(parts[^1]))
        {
            parts.RemoveAt(parts.Count - 1);
        }

        return parts.Count == 0 ? null : HoconConcatenation.Join(parts, concatenation.Position);
    }

    // The value of the first `count` layers: the topmost defined layer wins unless it is an object,
    // which merges over the layers below it as long as they are objects too.
    private HoconValue? ResolveStack(HoconMergeStack stack, int count, Frame frame)
    {
        HoconObject? above = null;
        for (var i = count - 1; i >= 0; i--)
        {
            frame.Layer = i;
            var layer = Shape(stack.Layers[i]);
            switch (layer)
            {
                case null:
                    continue;
                case HoconObject obj:
                    above = above is null ? obj : HoconMerge.MergeObjects(obj, above);
                    if (above.IgnoresFallbacks)
                    {
                        return above;
                    }

                    continue;
                default:
                    return above ?? layer;
            }
        }

        return above;
    }

    private HoconValue? Lookup(HoconPath path, HoconSubstitution substitution)
    {
        HoconValue node = _root;
        for (var i = 0; i < path.Length; i++)
        {
            if (LookupShape(node, substitution) is not HoconObject obj || !obj.TryGetValue(path[i], out var child))
            {
                return null;
            }

            node = child;
        }

        return LookupShape(node, substitution);
    }

    private HoconValue? LookupShape(HoconValue node, HoconSubstitution substitution)
    {
        if (!node.IsDeferred || _shapes.ContainsKey(node))
        {
            return Shape(node);
        }

        var at = FindFrame(node);
        if (at < 0)
        {
            return Shape(node, reachedByLookup: true);
        }

        var below = LookBack(_frames[at]);
        if (below is null && !substitution.IsOptional && _frames.Skip(at + 1).Any(f => f.ReachedByLookup))
        {
            var chain = string.Join(" -> ", _trail.Select(s => $"{s.Raw} ({s.Position})"));
            throw new ConfigException(substitution.Position, $"substitution cycle: {chain}");
        }

        return below;
    }

    // The value of a node being resolved as it was before its current layer was set.
    private HoconValue? LookBack(Frame frame)
    {
        if (frame.Node is not HoconMergeStack stack || frame.Layer == 0)
        {
            return null;
        }

        var back = new Frame(stack, frame.ReachedByLookup);
        _frames.Add(back);
        try
        {
            return ResolveStack(stack, frame.Layer, back);
        }
        finally
        {
            _frames.RemoveAt(_frames.Count - 1);
        }
    }

    private int FindFrame(HoconValue node)
    {
        for (var i = _frames.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(_frames[i].Node, node))
            {
                return i;
            }
        }

        return -1;
    }

    // A deferred node whose shape is being worked out. Layer is the merge-stack layer being resolved;
    // ReachedByLookup is true when a substitution led here rather than the tree walk.
    private sealed class Frame(HoconValue node, bool reachedByLookup)
    {
        public HoconValue Node { get; } = node;

        public bool ReachedByLookup { get; } = reachedByLookup;

        public int Layer { get; set; }
    }
}
