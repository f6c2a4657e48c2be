using System.Text;

namespace Nodes.Disk;

/// <summary>
/// An image name or path was refused at the disk backend's edge: it would leave the data dir
/// (<c>..</c>, an absolute path elsewhere, a symlink pointing out), holds NUL or control
/// characters, or does not name a regular file where one is needed.
/// </summary>
public sealed class ImagePathException : Exception
{
    public ImagePathException(string path, string reason)
        : base($"Image path '{Printable(path)}' refused: {reason}")
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The path exactly as it was given.</summary>
    public string Path { get; }

    /// <summary>Why it was refused, e.g. "contains a '..' segment".</summary>
    public string Reason { get; }

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
