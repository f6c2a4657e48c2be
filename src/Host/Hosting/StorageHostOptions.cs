namespace Host.Hosting;

/// <summary>What a storage host is made of, from its configuration (<c>host { ... }</c>) and command line.</summary>
/// <param name="DataDir">The host's data dir: the journal and, under <c>images/</c>, the disk backend's images.</param>
/// <param name="IoThreads">The IoThreads started with the host (their names are graph-lock contexts).</param>
public sealed record StorageHostOptions(string DataDir, IReadOnlyList<string> IoThreads)
{
    /// <summary>Where the disk backend keeps images: a directory of their own, apart from the journal.</summary>
    public string ImagesDir => Path.Combine(DataDir, "images");
}
