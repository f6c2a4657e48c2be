namespace Host.Demo;

/// <summary>
/// The demo's one seam for tests: code run after the I/O and the graph changes, right before the
/// image is verified. A test damages the image there to see the verification catch it.
/// </summary>
/// <param name="BeforeVerification">Called with the image file's full path.</param>
public sealed record DemoHooks(Func<string, Task>? BeforeVerification = null)
{
    public static readonly DemoHooks None = new();
}
