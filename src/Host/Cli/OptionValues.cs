namespace Host.Cli;

/// <summary>Parsing of option values shared by the subcommands; a bad value throws <see cref="ArgumentException"/> naming the option.</summary>
internal static class OptionValues
{
    public static int Positive(string text, string option) =>
        int.TryParse(text, out var value) && value > 0 ? value : throw new ArgumentException($"{option}: expected a positive number, got '{text}'");
}
