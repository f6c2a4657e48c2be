namespace Host.Demo.Cluster;

/// <summary>A QMP command a host answered with an error; the message names the command and carries the error's desc.</summary>
public sealed class QmpCommandException(string command, string desc) : Exception($"{command}: {desc}")
{
    /// <summary>The error's <c>desc</c>, as the host wrote it.</summary>
    public string Desc { get; } = desc;
}
