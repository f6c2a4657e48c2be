namespace Host.Tests.Nbd;

/// <summary>A theory that needs real NBD clients: skipped with the package to install when one is missing.</summary>
public sealed class NbdClientTheoryAttribute : TheoryAttribute
{
    public NbdClientTheoryAttribute(params string[] tools) => Skip = NbdTools.SkipReason(tools);
}
