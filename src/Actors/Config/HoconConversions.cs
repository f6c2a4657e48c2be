namespace Actors.Config;

/// <summary>
/// The spec's automatic conversions for getters: numbers and booleans read as strings, strings read
/// as numbers, booleans (true/yes/on, false/no/off), durations and sizes. Null, objects and arrays
/// never convert. Errors name the position of the value and the path asked for.
/// </summary>
internal static class HoconConversions
{
    public static string AsString(HoconValue value, string path) => value switch
    {
        HoconString s => s.Value,
        HoconNumber n => n.Text,
        HoconBoolean b => b.Text,
        _ => throw WrongType(value, path, "a string"),
    };

    public static long AsLong(HoconValue value, string path)
    {
        var text = NumberText(value, path, "an integer");
        if (HoconNumber.TryGetLong(text, out var result))
        {
            return result;
        }

        throw WrongType(value, path, HoconNumber.TryGetDouble(text, out _) ? "an integer in the range of a 64-bit integer" : "an integer");
    }

    public static int AsInt(HoconValue value, string path)
    {
        var result = AsLong(value, path);
        return result is >= int.MinValue and <= int.MaxValue
            ? (int)result
            : throw WrongType(value, path, "an integer in the range of a 32-bit integer");
    }

    public static double AsDouble(HoconValue value, string path) =>
        HoconNumber.TryGetDouble(NumberText(value, path, "a number"), out var result) ? result : throw WrongType(value, path, "a number");

    public static bool AsBoolean(HoconValue value, string path) => value switch
    {
        HoconBoolean b => b.Value,
        HoconString { Value: "true" or "yes" or "on" } => true,
        HoconString { Value: "false" or "no" or "off" } => false,
        _ => throw WrongType(value, path, "a boolean (true/false, yes/no, on/off)"),
    };

    public static TimeSpan AsTimeSpan(HoconValue value, string path)
    {
        var text = value switch
        {
            HoconNumber n => n.Text,
            HoconString s => s.Value,
            _ => throw WrongType(value, path, "a duration such as '10s' or '250ms'"),
        };
        return UnitFormat.TryParseDuration(text, out var result, out var error)
            ? result
            : throw new ConfigException(value.Position, $"{path}: {error} in {value.Describe()}");
    }

    public static long AsBytes(HoconValue value, string path)
    {
        var text = value switch
        {
            HoconNumber n => n.Text,
            HoconString s => s.Value,
            _ => throw WrongType(value, path, "a size such as '512K' or '10MB'"),
        };
        return UnitFormat.TryParseBytes(text, out var result, out var error)
            ? result
            : throw new ConfigException(value.Position, $"{path}: {error} in {value.Describe()}");
    }

    public static ConfigException WrongType(HoconValue value, string path, string expected) =>
        new(value.Position, $"{path}: expected {expected}, got {value.Describe()}");

    private static string NumberText(HoconValue value, string path, string expected) => value switch
    {
        HoconNumber n => n.Text,
        HoconString s when HoconNumber.IsValid(s.Value) => s.Value,
        _ => throw WrongType(value, path, expected),
    };
}
