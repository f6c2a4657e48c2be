using Xunit.Abstractions;

namespace Nodes.Tests;

/// <summary>
/// Akka.TestKit for node tests: each test gets its own actor system, whose graph journal is
/// Akka's in-memory one (tests that need a journal to outlive a system use SQLite files).
/// </summary>
public abstract class NodesTestKit(ITestOutputHelper? output = null) : Akka.TestKit.Xunit2.TestKit(Config, output)
{
    /// <summary>The test systems' configuration.</summary>
    public const string Config = """
        akka.loglevel = INFO
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;
}
