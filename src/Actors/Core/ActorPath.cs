using System.Collections.Immutable;

namespace Actors.Core;

/// <summary>
/// The location of an actor: an <see cref="Address"/> and the names from the root down,
/// rendered as <c>actor://cluster@host/user/parent/child</c>.
/// </summary>
public sealed class ActorPath : IEquatable<ActorPath>
{
    private string? _text;

    private ActorPath(Address address, ImmutableArray<string> elements)
    {
        Address = address;
        Elements = elements;
    }

    /// <summary>The root path of an address (<c>actor://cluster@host/</c>).</summary>
    public static ActorPath Root(Address address) => new(address, ImmutableArray<string>.Empty);

    public Address Address { get; }

    /// <summary>Names from the root down; empty for the root itself.</summary>
    public ImmutableArray<string> Elements { get; }

    /// <summary>The last element; "" for the root.</summary>
    public string Name => Elements.IsEmpty ? "" : Elements[^1];

    /// <summary>The path of a child named <paramref name="name"/>.</summary>
    public ActorPath Child(string name)
    {
        ValidateElement(name);
        return new ActorPath(Address, Elements.Add(name));
    }

    public static ActorPath operator /(ActorPath parent, string name) => parent.Child(name);

    /// <summary>Parses <c>actor://cluster@host/a/b</c>; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static ActorPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var prefix = Address.Scheme + "://";
        if (!text.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new FormatException($"Actor path '{text}' must start with '{prefix}'.");
        }
        var rest = text.AsSpan(prefix.Length);
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var at = authority.IndexOf('@');
        if (at <= 0 || at == authority.Length - 1)
        {
            throw new FormatException($"Actor path '{text}' must name '<cluster>@<host>'.");
        }
        Address address;
        try
        {
            address = new Address(authority[..at].ToString(), authority[(at + 1)..].ToString());
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"Actor path '{text}': {e.Message}", e);
        }
        var path = Root(address);
        if (slash < 0)
        {
            return path;
        }
        foreach (var element in rest[(slash + 1)..].ToString().Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                path = path.Child(element);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"Actor path '{text}': {e.Message}", e);
            }
        }
        return path;
    }

    /// <summary>Throws unless <paramref name="name"/> is a valid path element.</summary>
    public static void ValidateElement(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "-_.~:@&=+,!*'$;".Contains(c)))
            {
                throw new ArgumentException($"Actor name '{name}' contains '{c}': use letters, digits and -_.~:@&=+,!*'$;", nameof(name));
            }
        }
    }

    public bool Equals(ActorPath? other) =>
        other is not null && Address.Equals(other.Address) && Elements.AsSpan().SequenceEqual(other.Elements.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as ActorPath);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    public override string ToString() => _text ??= Address + "/" + string.Join('/', Elements);
}
