using Nodes.Tests.Disk;

namespace Nodes.Tests.Qcow2;

/// <summary>A theory that needs qemu-utils; skipped with the reason when it is missing, as <see cref="QemuFactAttribute"/>.</summary>
public sealed class QemuTheoryAttribute : TheoryAttribute
{
    public QemuTheoryAttribute()
    {
        if (QemuIo.Executable is null)
        {
            Skip = "qemu-utils not installed: tests/run.sh installs it";
        }
    }
}
