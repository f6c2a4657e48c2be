namespace Host.Tests.Cli;

/// <summary>
/// Tests that set CONFIG_FORCE_ environment variables run alone, after the others: every config the
/// host or the TestKit loads reads all such variables (ConfigFactory.FromEnvironment).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStateCollection
{
    public const string Name = "process state";
}
