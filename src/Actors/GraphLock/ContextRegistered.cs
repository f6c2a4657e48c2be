using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>
/// Answers <see cref="RegisterContext"/>. Until it arrives a context parks its readers, so none can
/// slip into a write section that began before the registration.
/// </summary>
/// <param name="Context">The registered context.</param>
/// <param name="Epoch">The current write epoch.</param>
/// <param name="WriterActive">A writer is waiting or writing: park readers and report for <paramref name="Epoch"/>.</param>
[Manifest("graph-lock.context-registered.v1")]
public sealed record ContextRegistered(string Context, long Epoch, bool WriterActive) : IGraphLockMessage;
