namespace Host.Hosting;

/// <summary>What a storage host is made of, from its configuration (<c>host { ... }</c>) and command line.</summary>
/// <param name="DataDir">The host's data dir (the journal lives there unless configured otherwise).</param>
/// <param name="ImagesDir">The disk backend's root: image file names are relative to it and may not leave it.</param>
/// <param name="IoThreads">The IoThreads started with the host (their names are graph-lock contexts).</param>
public sealed record StorageHostOptions(string DataDir, string ImagesDir, IReadOnlyList<string> IoThreads)
{
    /// <summary>How long the start waits for the graph's recovery from its journal (replay and reopening the nodes).</summary>
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
