namespace Nodes.Graph;

/// <summary>
/// A node's unique name, validated as QEMU validates <c>node-name</c>: a letter first, then
/// letters, digits, '-', '.' and '_', at most 31 characters.
/// </summary>
public readonly record struct NodeName
{
    public const int MaxLength = 31;

    public NodeName(string value)
    {
        if (!IsValid(value))
        {
            throw new GraphException($"Invalid node-name: '{value}' (a letter first, then letters, digits, '-', '.', '_'; at most {MaxLength} characters)");
        }
        Value = value;
    }

    public string Value { get; }

    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || !char.IsAsciiLetter(value[0]))
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    public static implicit operator NodeName(string value) => new(value);

    public override string ToString() => Value;
}
