using System.Collections.Immutable;
using Host.Cli;
using Host.Daemon;
using Nodes.Drivers;

namespace Host.Bench;

/// <summary>
/// The options of <c>bench</c>, spelled as <c>qemu-img bench</c>'s so the same command line runs
/// against both: <c>-c COUNT -d DEPTH -s SIZE [-w] [-o OFFSET] [-S STEP] [-f FMT] [--image-opts] FILENAME</c>.
/// </summary>
public sealed record BenchOptions
{
    public int Count { get; init; } = 75000;

    public int Depth { get; init; } = 64;

    public int Size { get; init; } = 4096;

    public bool Write { get; init; }

    public long Offset { get; init; }

    public long? Step { get; init; }

    public string? Format { get; init; }

    /// <summary>With <c>--image-opts</c>, the filename is a <c>driver=...,key=value</c> list.</summary>
    public ImmutableSortedDictionary<string, string>? ImageOptions { get; init; }

    public string? Filename { get; init; }

    public const string Usage = "usage: bench [-c COUNT] [-d DEPTH] [-s SIZE] [-w] [-o OFFSET] [-S STEP] [-f FMT] [--image-opts] FILENAME";

    /// <summary>Parses the arguments after <c>bench</c>; a bad one throws <see cref="ArgumentException"/> naming it.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        var imageOpts = false;
        string? filename = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => ++i < args.Count ? args[i] : throw new ArgumentException($"option '{arg}' needs a value");
            switch (arg)
            {
                case "-c":
                    options = options with { Count = OptionValues.Positive(Value(), arg) };
                    break;
                case "-d":
                    options = options with { Depth = OptionValues.Positive(Value(), arg) };
                    break;
                case "-s":
                    options = options with { Size = checked((int)SizeParser.Parse(Value(), "-s")) };
                    break;
                case "-w":
                    options = options with { Write = true };
                    break;
                case "-o":
                    options = options with { Offset = SizeParser.Parse(Value(), "-o") };
                    break;
                case "-S":
                    options = options with { Step = SizeParser.Parse(Value(), "-S") };
                    break;
                case "-f":
                    options = options with { Format = Value() };
                    break;
                case "--image-opts":
                    imageOpts = true;
                    break;
                default:
                    if (arg.StartsWith('-') || filename is not null)
                    {
                        throw new ArgumentException($"unknown option '{arg}' ({Usage})");
                    }
                    filename = arg;
                    break;
            }
        }
        if (filename is null)
        {
            throw new ArgumentException($"expecting one image file name ({Usage})");
        }
        if (options.Size <= 0)
        {
            throw new ArgumentException("-s: the request size must be positive");
        }
        return imageOpts
            ? options with { ImageOptions = KeyValueList.Parse(filename, "--image-opts") }
            : options with { Filename = filename };
    }
}
