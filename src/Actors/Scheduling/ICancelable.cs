namespace Actors.Scheduling;

/// <summary>A scheduled delivery that can still be called off.</summary>
public interface ICancelable
{
    /// <summary>Prevents any further delivery; safe to call more than once.</summary>
    void Cancel();
}
