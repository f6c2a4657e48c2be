namespace Nodes.Tests.Disk;

/// <summary>
/// A fresh directory tree for one test: <see cref="DataDir"/> is the backend's data dir and
/// <see cref="Outside"/> a sibling that images must never reach. Deleted on dispose.
/// </summary>
public sealed class TempDataDir : IDisposable
{
    public TempDataDir()
    {
        Root = Path.Combine(Path.GetTempPath(), "disk-tests-" + Guid.NewGuid().ToString("N"));
        DataDir = Path.Combine(Root, "data");
        Outside = Path.Combine(Root, "outside");
        Directory.CreateDirectory(DataDir);
        Directory.CreateDirectory(Outside);
    }

    public string Root { get; }

    public string DataDir { get; }

    public string Outside { get; }

    /// <summary>The absolute path of an image name inside the data dir.</summary>
    public string PathOf(string name) => Path.Combine(DataDir, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir must not fail the test that made it.
        }
    }
}
