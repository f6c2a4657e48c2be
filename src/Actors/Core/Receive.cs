namespace Actors.Core;

/// <summary>A behaviour: returns true when it handled <paramref name="message"/>.</summary>
public delegate bool Receive(object message);
