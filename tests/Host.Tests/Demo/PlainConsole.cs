using Spectre.Console;

namespace Host.Tests.Demo;

/// <summary>A console as the demo sees when its output is not a terminal (CI): plain lines, no colour codes, 160 columns.</summary>
internal static class PlainConsole
{
    public static (IAnsiConsole Console, StringWriter Output) Create()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 160;
        return (console, output);
    }
}
