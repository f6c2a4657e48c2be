using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;

namespace Nodes.Disk;

/// <summary>
/// One host's images: raw files, created sparse, opened with QEMU-compatible locks and deleted.
/// Every image name is checked here, at the edge, before any file is touched; it never holds NUL
/// or control characters. Where a name may lead depends on the backend's mode:
/// <list type="bullet">
/// <item>unconfined (no images dir, a host's default): a name is used as qemu-storage-daemon uses
/// a <c>filename</c>, absolute or relative to the working directory, symlinks followed;</item>
/// <item>confined to an images dir (<c>host.images-dir</c>, for a shared host): a name must stay
/// inside it lexically (no "..", no absolute path elsewhere) and really (its real path, every
/// symlink resolved, lies under the images dir's real path); only this mode lists images.</item>
/// </list>
/// A refused name throws <see cref="ImagePathException"/> naming the path and the reason.
///
/// An image is open at most once per backend: a second open, while the first is open or still
/// closing, is refused with <see cref="ImageLockConflict.OpenOnThisHost"/>; whoever needs it waits
/// for the close (§6). Across processes and hosts sharing a file system, the lock bytes decide.
///
/// Thread-safe. When confined, the symlink check runs before the open and again on the opened
/// descriptor (/proc/self/fd), so a path swapped for a symlink in between is caught after the fact.
/// </summary>
public sealed class DiskBackend
{
    private readonly object _gate = new();

    /// <summary>Open (or opening) images by real path; null while an open is in progress.</summary>
    private readonly Dictionary<string, ImageFile?> _open = new(StringComparer.Ordinal);

    /// <summary>
    /// A backend confined to <paramref name="imagesDir"/>, created when missing; or, when it is
    /// null, an unconfined one that takes names as qemu-storage-daemon does.
    /// </summary>
    public DiskBackend(string? imagesDir)
    {
        if (imagesDir is null)
        {
            return;
        }
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesDir);
        ImagesDir = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(imagesDir));
        Directory.CreateDirectory(ImagesDir);
        RealImagesDir = Libc.RealPath(ImagesDir, out var errno)
            ?? throw new IOException($"Images dir '{ImagesDir}' cannot be resolved: {Libc.Describe(errno)}");
    }

    /// <summary>The images dir as configured (absolute); null when the backend is unconfined.</summary>
    public string? ImagesDir { get; }

    /// <summary>The images dir's real path (symlinks resolved): every image's real path lies under it.</summary>
    public string? RealImagesDir { get; }

    /// <summary>True when names are confined to <see cref="ImagesDir"/>.</summary>
    [MemberNotNullWhen(true, nameof(ImagesDir), nameof(RealImagesDir))]
    public bool IsConfined => RealImagesDir is not null;

    /// <summary>Creates a sparse image of <paramref name="size"/> bytes; fails when the name exists.</summary>
    /// <exception cref="ImagePathException">The name is refused.</exception>
    /// <exception cref="IOException">The image already exists, or the file system failed.</exception>
    public ImageInfo Create(string name, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var (canonical, real) = ResolveNew(name);
        using (var handle = File.OpenHandle(real, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            VerifyOpened(handle, name);
            RandomAccess.SetLength(handle, size);
        }
        return Describe(canonical, real);
    }

    /// <summary>Opens an existing image; read-write with locking unless <paramref name="options"/> say otherwise.</summary>
    /// <exception cref="ImagePathException">The name is refused.</exception>
    /// <exception cref="FileNotFoundException">No such image.</exception>
    /// <exception cref="ImageLockedException">QEMU or another open holds the image in a conflicting way.</exception>
    public ImageFile Open(string name, ImageOpenOptions? options = null)
    {
        options ??= ImageOpenOptions.ReadWrite;
        options.Validate();
        var (canonical, real) = ResolveExisting(name);

        lock (_gate)
        {
            if (!_open.TryAdd(real, null))
            {
                throw new ImageLockedException(canonical, real, ImageLockConflict.OpenOnThisHost, BlockPermissions.None);
            }
        }

        SafeFileHandle? handle = null;
        var locked = false;
        try
        {
            var access = options.Access == ImageAccess.ReadWrite ? FileAccess.ReadWrite : FileAccess.Read;
            handle = File.OpenHandle(real, FileMode.Open, access, FileShare.ReadWrite | FileShare.Delete);
            VerifyOpened(handle, name);
            if (options.Locking != ImageLocking.Off)
            {
                if (ImageLock.IsSupported(handle, canonical))
                {
                    locked = true;
                    ImageLock.Acquire(handle, canonical, real, options.UsedPermissions, options.SharedPermissions);
                }
                else if (options.Locking == ImageLocking.On)
                {
                    throw new NotSupportedException(
                        $"Image '{canonical}': locking=on, but the file system at '{real}' does not support OFD locks (use locking=auto or off)");
                }
            }

            var image = new ImageFile(this, handle, canonical, real, options, locked, RandomAccess.GetLength(handle));
            lock (_gate)
            {
                _open[real] = image;
            }
            return image;
        }
        catch
        {
            if (handle is not null)
            {
                if (locked)
                {
                    ImageLock.Release(handle);
                }
                handle.Dispose();
            }
            lock (_gate)
            {
                _open.Remove(real);
            }
            throw;
        }
    }

    /// <summary>Size and allocation of one image.</summary>
    public ImageInfo GetInfo(string name)
    {
        var (canonical, real) = ResolveExisting(name);
        return Describe(canonical, real);
    }

    /// <summary>True when the image is open (or being opened) on this backend.</summary>
    public bool IsOpen(string name)
    {
        var (_, real) = ResolveExisting(name);
        lock (_gate)
        {
            return _open.ContainsKey(real);
        }
    }

    /// <summary>
    /// Deletes an image. Refused while it is open here, or while another process (QEMU) holds lock
    /// bytes on it. When the name is a symlink, the link is removed, not its target.
    /// </summary>
    public void Delete(string name)
    {
        var (canonical, real) = ResolveExisting(name);
        lock (_gate)
        {
            if (_open.ContainsKey(real))
            {
                throw new ImageLockedException(canonical, real, ImageLockConflict.OpenOnThisHost, BlockPermissions.None);
            }
        }
        using (var handle = File.OpenHandle(real, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (ImageLock.IsSupported(handle, canonical) && ImageLock.FindHolder(handle, canonical) is { } holder)
            {
                throw new ImageLockedException(canonical, real, holder.Conflict, holder.Permission);
            }
        }
        var (directory, leaf) = Split(name, canonical);
        File.Delete(System.IO.Path.Join(RealDirectory(name, directory), leaf));
    }

    /// <summary>
    /// Every image under the images dir, sorted by name. Hidden files (".name"), symlinks, special
    /// files and names this backend would refuse are left out. Only a confined backend lists.
    /// </summary>
    public IReadOnlyList<ImageInfo> List()
    {
        if (!IsConfined)
        {
            throw new InvalidOperationException("An unconfined disk backend has no images dir to list.");
        }
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.ReparsePoint,
        };
        var images = new List<ImageInfo>();
        foreach (var file in Directory.EnumerateFiles(RealImagesDir, "*", options))
        {
            if (Libc.Stat(file, out _) is not { Kind: Libc.FileKind.Regular } status)
            {
                continue;
            }
            string canonical;
            try
            {
                canonical = ImagePath.Normalize(System.IO.Path.GetRelativePath(RealImagesDir, file), ImagesDir, RealImagesDir);
            }
            catch (ImagePathException)
            {
                continue;
            }
            images.Add(new ImageInfo(canonical, status.Size, status.AllocatedBytes));
        }
        images.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return images;
    }

    /// <summary>Called by <see cref="ImageFile.Close"/>.</summary>
    internal void Forget(ImageFile image)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(image.Path, out var current) && ReferenceEquals(current, image))
            {
                _open.Remove(image.Path);
            }
        }
    }

    /// <summary>The canonical form of a name: relative to the images dir when confined, else the name as given.</summary>
    private string Canonical(string name) =>
        IsConfined ? ImagePath.Normalize(name, ImagesDir, RealImagesDir) : ImagePath.Check(name);

    /// <summary>Checks an existing image's name and returns its canonical name and real path.</summary>
    private (string Name, string RealPath) ResolveExisting(string name)
    {
        var canonical = Canonical(name);
        var real = Libc.RealPath(IsConfined ? RealImagesDir + "/" + canonical : canonical, out var errno);
        if (real is null)
        {
            if (errno == Libc.ENOENT)
            {
                throw new FileNotFoundException(
                    IsConfined ? $"Image '{canonical}' does not exist in the images dir '{ImagesDir}'." : $"Could not open '{canonical}': No such file or directory",
                    canonical);
            }
            throw new ImagePathException(name, $"cannot be resolved: {Libc.Describe(errno)}");
        }
        if (IsConfined && !ImagePath.IsInside(real, RealImagesDir))
        {
            throw new ImagePathException(name, $"resolves to '{real}' through a symlink, outside the images dir '{RealImagesDir}'");
        }
        RequireKind(name, real, Libc.FileKind.Regular);
        return (canonical, real);
    }

    /// <summary>Checks a new image's name: its directory must exist (inside the images dir when confined), the name must be free.</summary>
    private (string Name, string RealPath) ResolveNew(string name)
    {
        var canonical = Canonical(name);
        var (directory, leaf) = Split(name, canonical);
        var real = System.IO.Path.Join(RealDirectory(name, directory), leaf);
        if (Libc.Stat(real, out _) is not null)
        {
            throw new IOException(IsConfined ? $"Image '{canonical}' already exists in the images dir '{ImagesDir}'." : $"Image '{canonical}' already exists.");
        }
        return (canonical, real);
    }

    /// <summary>
    /// The real path of an image's directory: "" is the images dir itself when confined, else the
    /// working directory.
    /// </summary>
    private string RealDirectory(string name, string directory)
    {
        if (IsConfined && directory.Length == 0)
        {
            return RealImagesDir;
        }
        var path = IsConfined ? RealImagesDir + "/" + directory : directory.Length == 0 ? "." : directory;
        var real = Libc.RealPath(path, out var errno);
        if (real is null)
        {
            var why = errno == Libc.ENOENT ? "does not exist" : $"cannot be resolved: {Libc.Describe(errno)}";
            throw new ImagePathException(name, $"its directory '{directory}' {why}");
        }
        if (IsConfined && real != RealImagesDir && !ImagePath.IsInside(real, RealImagesDir))
        {
            throw new ImagePathException(name, $"its directory resolves to '{real}' through a symlink, outside the images dir '{RealImagesDir}'");
        }
        RequireKind(name, real, Libc.FileKind.Directory);
        return real;
    }

    private static void RequireKind(string name, string real, Libc.FileKind kind)
    {
        var status = Libc.Stat(real, out var errno)
            ?? throw new IOException($"Image path '{ImagePathException.Printable(name)}': stat of '{real}' failed: {Libc.Describe(errno)}");
        if (status.Kind != kind)
        {
            var what = kind == Libc.FileKind.Regular ? "a regular file" : "a directory";
            throw new ImagePathException(name, $"'{real}' is not {what} ({status.Kind.ToString().ToLowerInvariant()})");
        }
    }

    /// <summary>Checks, on the opened descriptor itself, that no symlink was swapped in after the confinement check.</summary>
    private void VerifyOpened(SafeFileHandle handle, string name)
    {
        if (!IsConfined)
        {
            return;
        }
        string? opened;
        try
        {
            opened = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
        }
        catch (IOException)
        {
            return; // no /proc: the check before the open stands alone
        }
        if (opened is not null && !ImagePath.IsInside(opened, RealImagesDir))
        {
            throw new ImagePathException(name, $"was replaced while being opened and now resolves to '{opened}', outside the images dir");
        }
    }

    private ImageInfo Describe(string canonical, string real)
    {
        var status = Libc.Stat(real, out var errno)
            ?? throw new IOException($"Image '{canonical}': stat failed: {Libc.Describe(errno)}");
        return new ImageInfo(canonical, status.Size, status.AllocatedBytes);
    }

    /// <summary>A canonical name's directory ("" for none, "/" for the root) and its last segment, which must name a file.</summary>
    private static (string Directory, string Leaf) Split(string name, string canonical)
    {
        var slash = canonical.LastIndexOf('/');
        var (directory, leaf) = slash < 0 ? ("", canonical) : (slash == 0 ? "/" : canonical[..slash], canonical[(slash + 1)..]);
        if (leaf is "" or "." or "..")
        {
            throw new ImagePathException(name, "names a directory, not an image");
        }
        return (directory, leaf);
    }
}
