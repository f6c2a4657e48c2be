using TestTools;

namespace Host.Tests.Cluster;

/// <summary>
/// docker-compose.yml at the repository's root, checked by Debian's docker-compose without a Docker
/// engine: <c>docker-compose config</c> validates the file against the Compose schema and resolves it.
/// </summary>
public sealed class ComposeFileTests
{
    [ComposeFact]
    public async Task The_compose_file_is_valid()
    {
        Assert.Empty(await ConfigAsync("-q"));
    }

    [ComposeFact]
    public async Task It_runs_postgres_and_three_hosts_built_from_the_hosts_dockerfile()
    {
        var services = await ConfigAsync("--services");
        var resolved = await ConfigAsync();

        Assert.Equal(["h1", "h2", "h3", "postgres"], services.Order());
        Assert.Equal(3, resolved.Count(line => line.Trim() == "dockerfile: src/Host/Dockerfile"));
    }

    [ComposeFact]
    public async Task The_hosts_start_once_postgres_is_healthy_and_every_service_has_a_healthcheck()
    {
        var resolved = (await ConfigAsync()).Select(line => line.Trim()).ToList();

        Assert.Equal(3, resolved.Count(line => line == "condition: service_healthy"));
        Assert.Equal(4, resolved.Count(line => line == "healthcheck:"));
    }

    [ComposeFact]
    public async Task Each_host_has_its_own_data_and_image_volumes()
    {
        var volumes = await ConfigAsync("--volumes");

        Assert.Equal(["h1-data", "h1-images", "h2-data", "h2-images", "h3-data", "h3-images", "postgres-data"], volumes.Order());
    }

    [ComposeFact]
    public async Task Each_host_publishes_NBD_and_QMP_on_ports_of_its_own_on_loopback_only()
    {
        var published = (await ConfigAsync()).Select(line => line.Trim()).Where(line => line.StartsWith("- 127.0.0.1:", StringComparison.Ordinal)).ToList();

        Assert.Equal(6, published.Count);
        Assert.Equal(6, published.Select(line => line.Split(':')[1]).Distinct().Count());
        Assert.DoesNotContain((await ConfigAsync()).Select(line => line.Trim()), line => line.StartsWith("- 0.0.0.0:", StringComparison.Ordinal) || line.StartsWith("- published:", StringComparison.Ordinal));
    }

    /// <summary>The lines <c>docker-compose config</c> prints with <paramref name="options"/>; it must succeed.</summary>
    private static async Task<string[]> ConfigAsync(params string[] options)
    {
        var result = await ExternalTool.RunAsync("docker-compose", ["--project-directory", RepositoryRoot(), "-f", ComposeFile(), "config", .. options]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string ComposeFile() => Path.Combine(RepositoryRoot(), "docker-compose.yml");

    /// <summary>The checkout the tests were built from: the first folder above them that holds Actors.sln.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Actors.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Needs docker-compose; without it the test is reported as skipped, with the reason and the package.</summary>
    private sealed class ComposeFactAttribute : FactAttribute
    {
        public ComposeFactAttribute()
        {
            if (ExternalTool.Find("docker-compose") is null)
            {
                Skip = "SKIPPED: docker-compose not installed, docker-compose.yml is not validated (apt-get install docker-compose; tests/run.sh installs it)";
            }
        }
    }
}
