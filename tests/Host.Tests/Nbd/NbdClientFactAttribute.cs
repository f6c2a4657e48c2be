using TestTools;
namespace Host.Tests.Nbd;

/// <summary>
/// A fact that needs real NBD clients. When one is missing the test is reported as skipped with
/// the reason and the package to install, never silently passed.
/// </summary>
public sealed class NbdClientFactAttribute : FactAttribute
{
    public NbdClientFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => ExternalTool.Find(t) is null).ToArray();
        if (missing.Length > 0)
        {
            Skip = $"SKIPPED: {string.Join(", ", missing)} not installed (apt-get install {string.Join(' ', missing.Select(NbdTools.PackageOf).Distinct())}; tests/run.sh installs them)";
        }
    }
}
