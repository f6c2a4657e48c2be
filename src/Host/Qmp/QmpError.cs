namespace Host.Qmp;

/// <summary>
/// A command's refusal in QMP's own form: <c>{"error": {"class": Class, "desc": Message}}</c>.
/// Class is one of QEMU's error classes (<c>GenericError</c>, <c>CommandNotFound</c>, <c>DeviceNotFound</c>).
/// </summary>
public sealed class QmpError(string errorClass, string message) : Exception(message)
{
    public const string Generic = "GenericError";

    public const string CommandNotFound = "CommandNotFound";

    public string Class { get; } = errorClass;

    public static QmpError GenericError(string message) => new(Generic, message);
}
