namespace Nodes.Tests.Disk;

/// <summary>
/// A fact that needs qemu-io from Debian's qemu-utils. Without it the test is reported as
/// skipped with the reason, never silently passed.
/// </summary>
public sealed class QemuFactAttribute : FactAttribute
{
    public QemuFactAttribute()
    {
        if (QemuIo.Executable is null)
        {
            Skip = "qemu-utils not installed: tests/run.sh installs it";
        }
    }
}
