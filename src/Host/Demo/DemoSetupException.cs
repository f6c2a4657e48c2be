namespace Host.Demo;

/// <summary>A demo that cannot start because something it needs is missing (PostgreSQL for the cluster demo); the message says what and how to get it, in one line.</summary>
public sealed class DemoSetupException(string message, Exception? inner = null) : Exception(message, inner);
