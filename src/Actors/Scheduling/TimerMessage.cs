namespace Actors.Scheduling;

/// <summary>A timer's message on its way through the mailbox, tagged so that a stale one is recognised.</summary>
internal sealed record TimerMessage(object Key, int Generation, object Message, TimerScheduler Owner);
