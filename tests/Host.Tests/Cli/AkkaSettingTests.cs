using Actors.Config;
using Host.Cli;

namespace Host.Tests.Cli;

// How an akka.* setting given to the host reaches Akka: the host's layering (HostCommand.LoadConfig),
// then AkkaHandover.ToAkka.
[Collection(ProcessStateCollection.Name)]
public sealed class AkkaSettingTests : IDisposable
{
    private const string LogLevelVariable = "CONFIG_FORCE_akka_loglevel";
    private readonly string _dir = Directory.CreateTempSubdirectory("akka-setting-").FullName;

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(LogLevelVariable, null);
        Directory.Delete(_dir, recursive: true);
    }

    private static string AkkaLogLevel(params string[] args) =>
        AkkaHandover.ToAkka(HostCommand.LoadConfig(HostOptions.Parse(args))).GetString("akka.loglevel");

    private string WriteConfig(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Without_options_Akka_gets_the_reference_level()
    {
        Assert.Equal("INFO", AkkaLogLevel());
    }

    [Fact]
    public void An_akka_setting_given_with_set_reaches_Akka()
    {
        Assert.Equal("DEBUG", AkkaLogLevel("--set", "akka.loglevel=DEBUG"));
    }

    [Fact]
    public void An_akka_setting_given_in_a_config_file_reaches_Akka()
    {
        var file = WriteConfig("host.conf", "akka { loglevel = WARNING }");

        Assert.Equal("WARNING", AkkaLogLevel("--config", file));
    }

    [Fact]
    public void An_akka_setting_given_as_a_CONFIG_FORCE_environment_variable_reaches_Akka()
    {
        Environment.SetEnvironmentVariable(LogLevelVariable, "DEBUG");

        Assert.Equal("DEBUG", AkkaLogLevel());
    }

    [Fact]
    public void Set_wins_over_the_environment_and_the_environment_over_a_config_file()
    {
        var file = WriteConfig("host.conf", "akka.loglevel = WARNING");
        Environment.SetEnvironmentVariable(LogLevelVariable, "ERROR");

        Assert.Equal("ERROR", AkkaLogLevel("--config", file));
        Assert.Equal("DEBUG", AkkaLogLevel("--config", file, "--set", "akka.loglevel=DEBUG"));
    }

    [Fact]
    public async Task The_printed_config_shows_an_akka_setting_as_Akka_receives_it()
    {
        var (output, error) = (new StringWriter(), new StringWriter());

        var exitCode = await HostCommand.RunAsync(["--print-config", "--set", "akka.loglevel=DEBUG"], output, error);

        Assert.Equal((0, ""), (exitCode, error.ToString()));
        var printed = ConfigFactory.ParseString(output.ToString(), "printed config");
        Assert.Equal("DEBUG", printed.GetString("akka.loglevel"));
        Assert.Equal("DEBUG", AkkaHandover.ToAkka(printed).GetString("akka.loglevel"));
        Assert.Contains("akka {\n  loggers = [", output.ToString().ReplaceLineEndings("\n"));
    }
}
