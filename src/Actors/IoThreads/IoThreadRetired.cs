namespace Actors.IoThreads;

/// <summary>
/// Answers <see cref="RetireIoThread"/>: the IoThread is gone and its name is free. (Not
/// <c>Status.Success</c>: Akka's <c>Ask&lt;Status.Success&gt;</c> hands a <c>Status.Failure</c> answer
/// back as an ArgumentException about the answer's type instead of throwing its cause.)
/// </summary>
internal sealed record IoThreadRetired(string Name);
