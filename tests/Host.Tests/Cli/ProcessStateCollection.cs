namespace Host.Tests.Cli;

/// <summary>
/// Tests that set or watch process-wide state run alone, after the others: CONFIG_FORCE_ environment
/// variables (every config the host or the TestKit loads reads all such variables,
/// ConfigFactory.FromEnvironment), and what the shared array pool hands out.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStateCollection
{
    public const string Name = "process state";
}
