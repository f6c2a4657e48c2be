namespace Actors.Concurrency;

/// <summary>
/// A visit counter and a lock in one word (QEMU's <c>QemuLockCnt</c>): protects a structure
/// that is walked re-entrantly and from several threads without a lock, while other threads
/// add to it under the lock and whoever ends the last visit frees what was removed.
/// </summary>
/// <remarks>
/// <para>The two rules (docs/devel/lockcnt.rst): data may be freed only while the count is zero
/// and the lock is held; a visit cannot start while the count is zero and the lock is held.
/// A visit that starts while the count is non-zero never waits, even if the lock is held:
/// nobody can be freeing then.</para>
/// <para>Walkers pair <see cref="Inc"/> with <see cref="Dec"/> (or with <see cref="DecAndLock"/>,
/// then free and <see cref="Unlock"/> when it returns true). Writers that add to the structure
/// take <see cref="Lock"/>/<see cref="Unlock"/> and publish with <see cref="Volatile.Write{T}(ref T, T)"/>
/// so that lock-free walkers see fully built items.</para>
/// <para>The lock is not re-entrant and not owned by a thread: a thread holding it must not call
/// <see cref="Lock"/>, <see cref="Inc"/>, <see cref="DecAndLock"/> or <see cref="DecIfLock"/> on
/// the same instance (they may wait for the lock), and any thread may release it.</para>
/// </remarks>
public sealed class LockCnt
{
    // Word layout, as QEMU's futex variant: bits 0-1 are the lock state, bits 2-31 the count.
    // Every state change is one interlocked operation on the whole word, so "count" and "lock"
    // can never be observed or changed out of step with each other. Each such operation is a
    // full fence: a visitor's reads of the structure stay between its Inc and its decrement,
    // and a freer's frees stay after the CAS that found the count at zero. Increments are
    // checked: a 2^29th concurrent visit throws OverflowException instead of corrupting the
    // lock bits.
    private const int StateMask = 3;
    private const int Free = 0;
    private const int Locked = 1;

    // Locked, and a thread may be parked (or about to park) waiting for the lock to be free.
    // Only an unlock clears it, and that unlock wakes the parked threads: see Park/WakeParked.
    private const int Contended = 2;

    private const int Step = 4;
    private const int Shift = 2;

    // Monitor used only to park and wake; never held while the word is being changed.
    private readonly object _parking = new();
    private int _word;

    /// <summary>The number of visits in progress. It can change at any time; while the lock
    /// is held, a zero here stays zero until the lock is released.</summary>
    public int Count => Volatile.Read(ref _word) >> Shift;

    /// <summary>True while some thread holds the lock. For tests and diagnostics.</summary>
    internal bool IsLocked => (Volatile.Read(ref _word) & StateMask) != Free;

    /// <summary>True while the lock is held and some thread is waiting for it (parked, or about
    /// to park). For tests and diagnostics.</summary>
    internal bool IsContended => (Volatile.Read(ref _word) & StateMask) == Contended;

    /// <summary>Starts a visit. If the count is zero and the lock is held (someone may be
    /// freeing), waits until the lock is released first.</summary>
    public void Inc()
    {
        int word = Volatile.Read(ref _word);
        while (true)
        {
            if (word >= Step)
            {
                // Count >= 1: join the visits in progress whatever the lock state.
                // Case 1: the lock is free or held by a writer: visits may run beside writers.
                // Case 2: the lock is held by a freer: impossible, a freer's section starts with
                // the count at zero and it stays zero until its unlock (see the else branch);
                // the CAS succeeds only if the count we saw (>= 1) is still there.
                int seen = Interlocked.CompareExchange(ref _word, checked(word + Step), word);
                if (seen == word)
                {
                    return;
                }
                word = seen;
            }
            else if (TryChangeWhileFree(ref word, Step))
            {
                // Count was 0: (0, free) -> (1, free) in one CAS; at (0, locked) someone may be
                // freeing, so TryChangeWhileFree waited for the unlock first. Incrementing
                // without looking at the lock would let a visit start inside a freer's section.
                return;
            }
        }
    }

    /// <summary>Ends a visit.</summary>
    /// <exception cref="InvalidOperationException">The count is already zero.</exception>
    public void Dec()
    {
        int word = Volatile.Read(ref _word);
        while (true)
        {
            // A CAS rather than an interlocked add: an unbalanced Dec must leave the word
            // untouched, not expose a negative count to other threads before we could undo it.
            ThrowIfCountIsZero(word, nameof(Dec));
            int seen = Interlocked.CompareExchange(ref _word, word - Step, word);
            if (seen == word)
            {
                return;
            }
            word = seen;
        }
    }

    /// <summary>Ends a visit; if it was the last one, takes the lock and returns true, so the
    /// caller can free what was removed and then call <see cref="Unlock"/>. Otherwise returns
    /// false without the lock.</summary>
    /// <exception cref="InvalidOperationException">The count is already zero.</exception>
    public bool DecAndLock()
    {
        int word = Volatile.Read(ref _word);
        while (true)
        {
            ThrowIfCountIsZero(word, nameof(DecAndLock));
            if (word >= 2 * Step)
            {
                // Not the last visit: a plain decrement. If another visit ends first and makes
                // ours the last one, the CAS fails and we take the branch below instead.
                int seen = Interlocked.CompareExchange(ref _word, word - Step, word);
                if (seen == word)
                {
                    return false;
                }
                word = seen;
            }
            else if (TryChangeWhileFree(ref word, Locked))
            {
                // (1, free) -> (0, locked) in one CAS. Decrementing first and locking after
                // would leave a window at (0, free) in which a new visit could start and then
                // walk items we are about to free.
                return true;
            }
        }
    }

    /// <summary>If this is the only visit (count 1), ends it, takes the lock and returns true;
    /// the caller frees and then calls <see cref="IncAndUnlock"/> to resume its visit.
    /// Otherwise changes nothing and returns false.</summary>
    /// <exception cref="InvalidOperationException">The count is zero (no visit to end).</exception>
    public bool DecIfLock()
    {
        int word = Volatile.Read(ref _word);
        while (true)
        {
            ThrowIfCountIsZero(word, nameof(DecIfLock));
            if (word >= 2 * Step)
            {
                return false;
            }

            // Count is 1: (1, free) -> (0, locked) in one CAS, for the same reason as DecAndLock.
            // If the lock is held we wait for it; meanwhile other visits may start, and then
            // the loop sees count >= 2 and returns false.
            if (TryChangeWhileFree(ref word, Locked))
            {
                return true;
            }
        }
    }

    /// <summary>Takes the lock, waiting while another thread holds it. Visits already in
    /// progress and new ones are not blocked unless the count is zero.</summary>
    public void Lock()
    {
        int word = Volatile.Read(ref _word);
        while (!TryChangeWhileFree(ref word, word | Locked))
        {
            // The word was reloaded (and the lock seen free, or the CAS lost a race):
            // the target is recomputed from it in the loop condition.
        }
    }

    /// <summary>Releases the lock and wakes any thread waiting for it.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void Unlock()
    {
        // Clearing the state bits of a free word is a no-op, so a misplaced Unlock changes
        // nothing before it throws.
        int before = Interlocked.And(ref _word, ~StateMask);
        int state = before & StateMask;
        if (state == Free)
        {
            throw new InvalidOperationException("LockCnt.Unlock: the lock is not held.");
        }
        if (state == Contended)
        {
            WakeParked();
        }
    }

    /// <summary>Releases the lock and starts a visit in one step, so no freer can run in
    /// between (the counterpart of <see cref="DecIfLock"/>).</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void IncAndUnlock()
    {
        int word = Volatile.Read(ref _word);
        while (true)
        {
            if ((word & StateMask) == Free)
            {
                throw new InvalidOperationException("LockCnt.IncAndUnlock: the lock is not held.");
            }
            int seen = Interlocked.CompareExchange(ref _word, checked(word + Step) & ~StateMask, word);
            if (seen == word)
            {
                if ((word & StateMask) == Contended)
                {
                    WakeParked();
                }
                return;
            }
            word = seen;
        }
    }

    /// <summary>
    /// If the lock is free in <paramref name="word"/>, tries to CAS the whole word from it to
    /// <paramref name="next"/>. Returns true if that CAS succeeded. Otherwise returns false with
    /// <paramref name="word"/> reloaded, after waiting until the lock is free if it was held;
    /// the caller then recomputes <paramref name="next"/> from the new word and tries again.
    /// </summary>
    private bool TryChangeWhileFree(ref int word, int next)
    {
        if ((word & StateMask) == Free)
        {
            int seen = Interlocked.CompareExchange(ref _word, next, word);
            if (seen == word)
            {
                return true;
            }
            word = seen;
            return false;
        }
        word = WaitUntilFree();
        return false;
    }

    /// <summary>Spins briefly, then parks until the lock is free; returns the word seen free.</summary>
    private int WaitUntilFree()
    {
        // Critical sections are a few instructions (append to a list, unlink a few items), so a
        // short spin usually sees the lock released without a trip through the scheduler.
        var spinner = new SpinWait();
        while (true)
        {
            int word = Volatile.Read(ref _word);
            int state = word & StateMask;
            if (state == Free)
            {
                return word;
            }
            if (!spinner.NextSpinWillYield)
            {
                spinner.SpinOnce();
                continue;
            }

            // Announce the waiter before parking, so the holder's unlock knows to wake.
            // Case 1: the CAS Locked -> Contended fails because the word changed (the count
            // moved, or the lock was released): look again, maybe it is free now.
            // Case 2: the state is already Contended: someone else announced; the unlock that
            // clears it wakes everybody parked, us included.
            if (state == Locked
                && Interlocked.CompareExchange(ref _word, word + (Contended - Locked), word) != word)
            {
                continue;
            }
            Park();
        }
    }

    /// <summary>
    /// Sleeps while the state is <see cref="Contended"/>.
    /// </summary>
    /// <remarks>
    /// No lost wake-up. .NET has no futex, so <see cref="_parking"/> plays its part: the check of
    /// the word and the sleep happen under that monitor, and <see cref="Monitor.Wait(object)"/>
    /// releases it only once this thread is queued. The unlock that clears Contended does so
    /// with an interlocked operation and then takes the same monitor to wake.
    /// Case 1: the unlock takes the monitor before we do. Its clear happened before it released
    /// the monitor, so our check sees the state no longer Contended and we do not sleep (or sees
    /// a later Contended, set against a later holder whose own unlock will wake us).
    /// Case 2: we take the monitor first. We are queued in Wait before the monitor is free
    /// again, so the unlock's PulseAll, taken after, finds us.
    /// Contended is cleared only by an unlock (every other change adds or subtracts whole
    /// steps, takes a free lock, or marks a held one Contended), so every parked thread meets
    /// one of the cases.
    /// </remarks>
    private void Park()
    {
        lock (_parking)
        {
            while ((Volatile.Read(ref _word) & StateMask) == Contended)
            {
                Monitor.Wait(_parking);
            }
        }
    }

    /// <summary>Wakes every parked thread; called by the unlock that cleared Contended.</summary>
    /// <remarks>
    /// All, not one: a woken thread then takes the lock as plain Locked, and those that lose
    /// the race announce themselves again before parking. QEMU wakes one and makes the woken
    /// thread pass the wake-up on; waking all needs no such hand-off, and the herd is small
    /// because contention on a LockCnt is rare by design (lockcnt.rst).
    /// </remarks>
    private void WakeParked()
    {
        lock (_parking)
        {
            Monitor.PulseAll(_parking);
        }
    }

    private static void ThrowIfCountIsZero(int word, string operation)
    {
        if (word < Step)
        {
            throw new InvalidOperationException(
                $"LockCnt.{operation}: the count is already zero; every decrement must match an earlier Inc.");
        }
    }
}
