using Actors.Config;
using Akka.Event;
using Microsoft.Extensions.Logging;
using TestTools;
using HoconConfig = Actors.Config.Config;

namespace Actors.Tests.Config;

[Collection(ProcessStateCollection.Name)]
public sealed class AkkaProcessStateTests
{
    private static HoconConfig Reference => ConfigFactory.Reference();

    [Fact]
    public async Task An_akka_setting_given_as_a_CONFIG_FORCE_environment_variable_reaches_the_Akka_system()
    {
        Environment.SetEnvironmentVariable("CONFIG_FORCE_akka_loglevel", "DEBUG");
        HoconConfig resolved;
        try
        {
            resolved = ConfigFactory.FromEnvironment().WithFallback(Reference).Resolve();
        }
        finally
        {
            Environment.SetEnvironmentVariable("CONFIG_FORCE_akka_loglevel", null);
        }

        var system = AkkaHandover.CreateSystem("environment", resolved, loggerFactory: null);
        try
        {
            Assert.Equal("DEBUG", system.Settings.Config.GetString("akka.loglevel"));
            Assert.Equal("DEBUG", system.Settings.LogLevel);
        }
        finally
        {
            await system.Terminate();
        }
    }

    // Akka drains the events still queued to its logger when the system stops to its stdout logger;
    // with Akka's own that printed a line now and then (about one system in 40), hence the repeats.
    [Theory]
    [InlineData("INFO")]
    [InlineData("DEBUG")]
    public async Task Starting_and_stopping_a_system_writes_nothing_to_the_console(string level)
    {
        const int systems = 30;
        var resolved = ConfigFactory.FromAssignments([$"akka.loglevel = {level}"]).WithFallback(Reference).Resolve();
        var provider = new MemoryLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(provider));
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (realOut, realError) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            for (var i = 0; i < systems; i++)
            {
                var system = AkkaHandover.CreateSystem("quiet", resolved, loggerFactory);
                system.Log.Info("system {0} is up", i);
                await system.Terminate();
            }
        }
        finally
        {
            Console.SetOut(realOut);
            Console.SetError(realError);
        }

        Assert.Equal("", stdout.ToString());
        Assert.Equal("", stderr.ToString());
        await provider.WaitForAsync(e => e.Message.Contains($"system {systems - 1} is up"));
    }
}
