namespace Host.Tests.Nbd;

/// <summary>
/// A fact that needs real NBD clients. When one is missing the test is reported as skipped with
/// the reason and the package to install, never silently passed.
/// </summary>
public sealed class NbdClientFactAttribute : FactAttribute
{
    public NbdClientFactAttribute(params string[] tools) => Skip = NbdTools.SkipReason(tools);
}
