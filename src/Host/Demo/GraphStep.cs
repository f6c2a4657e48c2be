namespace Host.Demo;

/// <summary>One step of a <see cref="GraphScript"/>: its name as the progress shows it, how many graph commands it sends, and what it does.</summary>
public sealed record GraphStep(string Name, int Changes, Func<Task> Run);
