using System.Text;

namespace Nodes.Disk;

/// <summary>
/// An image name or path was refused at the disk backend's edge: it holds NUL or control
/// characters, does not name a regular file where one is needed, or would leave the images dir
/// of a confined backend (<c>..</c>, an absolute path elsewhere, a symlink pointing out).
/// </summary>
public sealed class ImagePathException : Exception
{
    public ImagePathException(string path, string reason, string? node = null)
        : base($"Image path '{Printable(path)}'{(node is null ? "" : $" of node '{node}'")} refused: {reason}")
    {
        Path = path;
        Reason = reason;
        Node = node;
    }

    /// <summary>The path exactly as it was given.</summary>
    public string Path { get; }

    /// <summary>Why it was refused, e.g. "contains a '..' segment".</summary>
    public string Reason { get; }

    /// <summary>The node whose image it was to be, when a node asked for it.</summary>
    public string? Node { get; }

    /// <summary>The same refusal, naming the node that asked (a QMP client sees which one).</summary>
    public ImagePathException ForNode(string node) => new(Path, Reason, node);

    /// <summary>The path with control characters escaped, so a message never carries a raw NUL or newline.</summary>
    internal static string Printable(string path)
    {
        var text = new StringBuilder(path.Length);
        foreach (var c in path)
        {
            if (c == '\0')
            {
                text.Append("\\0");
            }
            else if (char.IsControl(c))
            {
                text.Append($"\\x{(int)c:x2}");
            }
            else
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }
}
