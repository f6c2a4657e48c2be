using System.Text;

namespace Nodes.Disk;

/// <summary>
/// The lexical checks on an image name: what any name must be (<see cref="Check"/>), and the
/// lexical half of confining names to an images dir (<see cref="Normalize"/>), which turns what a
/// user typed into a canonical '/'-separated name relative to that dir, or refuses it with the
/// reason. The other half, resolving symlinks and checking the real path, is the disk backend's,
/// because it needs the file system.
/// </summary>
internal static class ImagePath
{
    /// <summary>PATH_MAX on Linux, including the images dir prefix the name will get.</summary>
    public const int MaxLength = 4096;

    /// <summary>NAME_MAX on Linux, in UTF-8 bytes.</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>
    /// Refuses a name no image can have, wherever images may be: none, empty, longer than
    /// <see cref="MaxLength"/>, with NUL or control characters (so no message ever carries them),
    /// or not valid Unicode. Returns the name unchanged.
    /// </summary>
    public static string Check(string? path)
    {
        if (path is null)
        {
            throw new ImagePathException("", "no image name given");
        }
        if (path.Length == 0)
        {
            throw new ImagePathException(path, "the name is empty");
        }
        if (path.Length > MaxLength)
        {
            throw new ImagePathException(path[..64] + "...", $"longer than {MaxLength} characters");
        }
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '\0')
            {
                throw new ImagePathException(path, $"contains a NUL character at index {i}");
            }
            if (char.IsControl(c))
            {
                throw new ImagePathException(path, $"contains the control character U+{(int)c:X4} at index {i}");
            }
            if (char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                throw new ImagePathException(path, $"is not valid Unicode (lone surrogate at index {i})");
            }
        }
        return path;
    }

    /// <summary>
    /// Checks <paramref name="path"/> and returns its canonical name relative to the images dir.
    /// An absolute path is accepted only when it lies inside <paramref name="imagesDir"/> or
    /// <paramref name="realImagesDir"/>. Empty and "." segments are dropped; ".." is refused outright
    /// rather than resolved, so "a/../b" never depends on what "a" is.
    /// </summary>
    public static string Normalize(string? path, string imagesDir, string realImagesDir)
    {
        var name = Check(path);
        var relative = name;
        if (name.StartsWith('/'))
        {
            relative = name.TrimEnd('/') == realImagesDir.TrimEnd('/') || name.TrimEnd('/') == imagesDir.TrimEnd('/')
                ? ""
                : StripPrefix(name, realImagesDir) ?? StripPrefix(name, imagesDir)
                ?? throw new ImagePathException(name, $"is an absolute path outside the images dir '{imagesDir}'");
        }

        var segments = new List<string>();
        foreach (var segment in relative.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }
            if (segment == "..")
            {
                throw new ImagePathException(name, "contains a '..' segment; image names stay inside the images dir");
            }
            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                throw new ImagePathException(name, $"has a path segment longer than {MaxSegmentBytes} bytes");
            }
            segments.Add(segment);
        }
        if (segments.Count == 0)
        {
            throw new ImagePathException(name, "names the images dir itself, not an image in it");
        }
        return string.Join('/', segments);
    }

    /// <summary>True when <paramref name="realPath"/> is strictly inside <paramref name="realRoot"/>.</summary>
    public static bool IsInside(string realPath, string realRoot)
    {
        var prefix = realRoot.EndsWith('/') ? realRoot : realRoot + "/";
        return realPath.Length > prefix.Length && realPath.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static string? StripPrefix(string path, string root)
    {
        var prefix = root.EndsWith('/') ? root : root + "/";
        return path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : null;
    }
}
