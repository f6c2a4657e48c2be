namespace Actors.Tests.Config;

/// <summary>
/// Tests that change process-wide state (CONFIG_FORCE_ environment variables, Console.Out) run
/// alone, after the others: ConfigFactory.FromEnvironment (the TestKit calls it for every test
/// system) reads all CONFIG_FORCE_ variables, and a console capture would catch other tests' output.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStateCollection
{
    public const string Name = "process state";
}
