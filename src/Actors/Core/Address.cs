namespace Actors.Core;

/// <summary>Where an actor system lives: <c>actor://&lt;cluster&gt;@&lt;host&gt;</c>.</summary>
public sealed record Address
{
    /// <summary>The URI scheme every address and path uses.</summary>
    public const string Scheme = "actor";

    public Address(string cluster, string host)
    {
        Cluster = ValidatePart(cluster, nameof(cluster));
        Host = ValidatePart(host, nameof(host));
        _text = $"{Scheme}://{Cluster}@{Host}";
    }

    public string Cluster { get; }
    public string Host { get; }

    private readonly string _text;

    public override string ToString() => _text;

    private static string ValidatePart(string value, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, what);
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"Address {what} '{value}' may only contain letters, digits, '-', '_' and '.'.", what);
            }
        }
        return value;
    }
}
