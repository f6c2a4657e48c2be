namespace Host.Demo;

/// <summary>A check of the demo that did not hold: a block that reads back wrong, a graph change that failed.</summary>
public sealed class DemoCheckException(string message, Exception? inner = null) : Exception(message, inner);
