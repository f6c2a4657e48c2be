using System.Collections.Concurrent;
using Actors.Concurrency;
using Xunit.Abstractions;

namespace Actors.Tests.Concurrency;

/// <summary>
/// LockCnt's API single-threaded, its waits two-threaded, and the usage patterns of QEMU's
/// docs/devel/lockcnt.rst under contention. Stress tests run a fixed number of iterations
/// and assert outcomes (nothing freed while visited, counts balanced), never durations.
/// </summary>
public sealed class LockCntTests
{
    // Four threads on two cores keep a lock holder preempted now and then, so waiters run
    // out of spinning and park: four walkers that also add, or three visitors and a writer.
    private const int Walkers = 4;
    private const int Visitors = 3;
    private const int VisitsPerThread = 30_000;
    private const int WriteSections = 30_000;

    // Only to turn a lost wake-up into a failure instead of a stuck test run; no assertion
    // depends on how long anything takes.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private readonly ITestOutputHelper _output;

    public LockCntTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void A_new_LockCnt_has_no_visits_and_is_unlocked()
    {
        var lockCnt = new LockCnt();

        Assert.Equal(0, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void Inc_and_Dec_count_visits_without_touching_the_lock()
    {
        var lockCnt = new LockCnt();

        lockCnt.Inc();
        lockCnt.Inc();
        Assert.Equal(2, lockCnt.Count);
        lockCnt.Dec();
        Assert.Equal(1, lockCnt.Count);
        lockCnt.Dec();

        Assert.Equal(0, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void Dec_at_zero_throws_and_leaves_the_LockCnt_unchanged()
    {
        var lockCnt = new LockCnt();

        var error = Assert.Throws<InvalidOperationException>(lockCnt.Dec);

        Assert.Contains("count is already zero", error.Message);
        Assert.Equal(0, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void DecAndLock_returns_true_only_when_the_count_reaches_zero()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();
        lockCnt.Inc();

        Assert.False(lockCnt.DecAndLock());
        Assert.Equal(1, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);

        Assert.True(lockCnt.DecAndLock());
        Assert.Equal(0, lockCnt.Count);
        Assert.True(lockCnt.IsLocked);

        lockCnt.Unlock();
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void DecAndLock_at_zero_throws_without_taking_the_lock()
    {
        var lockCnt = new LockCnt();

        Assert.Throws<InvalidOperationException>(() => lockCnt.DecAndLock());

        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void DecIfLock_ends_the_only_visit_and_takes_the_lock()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();

        Assert.True(lockCnt.DecIfLock());

        Assert.Equal(0, lockCnt.Count);
        Assert.True(lockCnt.IsLocked);
        lockCnt.Unlock();
    }

    [Fact]
    public void DecIfLock_changes_nothing_while_other_visits_are_in_progress()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();
        lockCnt.Inc();

        Assert.False(lockCnt.DecIfLock());

        Assert.Equal(2, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void DecIfLock_at_zero_throws_without_taking_the_lock()
    {
        var lockCnt = new LockCnt();

        Assert.Throws<InvalidOperationException>(() => lockCnt.DecIfLock());

        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void DecIfLock_then_IncAndUnlock_resumes_the_visit_with_the_lock_released()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();
        Assert.True(lockCnt.DecIfLock());

        lockCnt.IncAndUnlock();

        Assert.Equal(1, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void Lock_and_Unlock_leave_the_count_alone()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();

        lockCnt.Lock();
        Assert.True(lockCnt.IsLocked);
        Assert.Equal(1, lockCnt.Count);
        lockCnt.Unlock();

        Assert.False(lockCnt.IsLocked);
        Assert.Equal(1, lockCnt.Count);
    }

    [Fact]
    public void Inc_does_not_wait_for_the_lock_while_other_visits_are_in_progress()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();
        lockCnt.Lock();

        // Same thread: if Inc waited for the lock here, this test would never finish.
        lockCnt.Inc();

        Assert.Equal(2, lockCnt.Count);
        Assert.True(lockCnt.IsLocked);
        lockCnt.Unlock();
    }

    [Fact]
    public void Unlock_without_the_lock_throws_and_leaves_the_count_alone()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();

        var error = Assert.Throws<InvalidOperationException>(lockCnt.Unlock);

        Assert.Contains("not held", error.Message);
        Assert.Equal(1, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void IncAndUnlock_without_the_lock_throws_and_leaves_the_count_alone()
    {
        var lockCnt = new LockCnt();

        Assert.Throws<InvalidOperationException>(lockCnt.IncAndUnlock);

        Assert.Equal(0, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void Inc_waits_while_the_count_is_zero_and_the_lock_is_held()
    {
        var lockCnt = new LockCnt();
        lockCnt.Lock();

        var visitor = Start("visitor", lockCnt.Inc);
        WaitUntil(() => lockCnt.IsContended, "the visitor to wait for the lock");

        // The visitor is inside Inc and cannot leave it while we hold the lock at count zero.
        Assert.Equal(0, lockCnt.Count);
        Assert.True(visitor.IsAlive);

        lockCnt.Unlock();
        Join(visitor);
        Assert.Equal(1, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    [Fact]
    public void DecAndLock_of_the_last_visit_waits_for_a_writer_to_unlock()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();
        lockCnt.Lock();
        var result = false;

        var freer = Start("freer", () => result = lockCnt.DecAndLock());
        WaitUntil(() => lockCnt.IsContended, "the freer to wait for the lock");
        Assert.Equal(1, lockCnt.Count);

        lockCnt.Unlock();
        Join(freer);

        Assert.True(result);
        Assert.Equal(0, lockCnt.Count);
        Assert.True(lockCnt.IsLocked);
        lockCnt.Unlock();
    }

    [Fact]
    public void DecIfLock_of_the_only_visit_waits_for_a_writer_to_unlock()
    {
        var lockCnt = new LockCnt();
        lockCnt.Inc();
        lockCnt.Lock();
        var result = false;

        var freer = Start("freer", () => result = lockCnt.DecIfLock());
        WaitUntil(() => lockCnt.IsContended, "the freer to wait for the lock");
        Assert.Equal(1, lockCnt.Count);

        lockCnt.Unlock();
        Join(freer);

        Assert.True(result);
        Assert.Equal(0, lockCnt.Count);
        Assert.True(lockCnt.IsLocked);
        lockCnt.Unlock();
    }

    [Fact]
    public void Unlock_wakes_every_thread_waiting_in_Lock()
    {
        const int Waiters = 3;
        var lockCnt = new LockCnt();
        var entered = 0;
        lockCnt.Lock();

        var waiters = Enumerable.Range(0, Waiters)
            .Select(i => Start($"waiter {i}", () =>
            {
                lockCnt.Lock();
                entered++;
                lockCnt.Unlock();
            }))
            .ToArray();
        WaitUntil(() => lockCnt.IsContended, "a waiter to wait for the lock");
        Assert.Equal(0, entered);

        lockCnt.Unlock();
        foreach (var waiter in waiters)
        {
            Join(waiter);
        }

        Assert.Equal(Waiters, entered);
        Assert.False(lockCnt.IsLocked);
    }

    /// <summary>
    /// lockcnt.rst, list pattern: walkers <c>Inc</c>, walk (sometimes re-entrantly, sometimes
    /// marking an item deleted) and end with <c>DecAndLock</c>; the last one out unlinks and
    /// frees the deleted items. Between walks each thread adds an item under <c>Lock</c>
    /// while the others walk.
    /// </summary>
    [Fact]
    public void Items_are_never_freed_while_visited_when_the_last_walker_frees_with_DecAndLock()
    {
        var scenario = new ListScenario();

        RunConcurrently(
            Enumerable.Range(1, Walkers)
                .Select(seed => ($"walker {seed}", (Action)(() => scenario.WalkAndFreeWhenLast(seed, VisitsPerThread))))
                .ToArray());

        _output.WriteLine(
            $"walks: {Walkers * VisitsPerThread}, write sections: {scenario.WriteSections}, items visited: {scenario.ItemsVisited}, " +
            $"added: {scenario.Added}, deleted: {scenario.Deleted}, freed: {scenario.Freed}, " +
            $"free sections: {scenario.FreeSections}");
        scenario.AssertSafeAndBalanced();
    }

    /// <summary>
    /// lockcnt.rst, alternative pattern: a walker that meets a deleted item frees it at once
    /// if it is the only walker (<c>DecIfLock</c>), then resumes with <c>IncAndUnlock</c>.
    /// Items are added under <c>Lock</c> as in the list pattern.
    /// </summary>
    [Fact]
    public void Items_are_never_freed_while_visited_when_the_only_walker_frees_with_DecIfLock()
    {
        var scenario = new ListScenario();

        RunConcurrently(
            Enumerable.Range(1, Walkers)
                .Select(seed => ($"walker {seed}", (Action)(() => scenario.WalkAndFreeWhenAlone(seed, VisitsPerThread))))
                .ToArray());

        _output.WriteLine(
            $"walks: {Walkers * VisitsPerThread}, write sections: {scenario.WriteSections}, items visited: {scenario.ItemsVisited}, " +
            $"added: {scenario.Added}, deleted: {scenario.Deleted}, freed: {scenario.Freed}, " +
            $"free sections: {scenario.FreeSections}");
        scenario.AssertSafeAndBalanced();
    }

    [Fact]
    public void DecAndLock_returns_true_only_when_no_other_visit_is_in_progress_under_contention()
    {
        var lockCnt = new LockCnt();
        var visitsDone = 0;
        var inVisit = 0;
        var violations = 0;
        var lastOut = 0;
        var lockedSections = 0;
        var lockedSectionsUnprotected = 0;

        void Visit(int seed)
        {
            var random = new Random(seed);
            for (var i = 0; i < VisitsPerThread; i++)
            {
                lockCnt.Inc();
                Interlocked.Increment(ref inVisit);

                // Some work, and now and then a yield inside the visit, so that visits overlap
                // and the count often stays above zero even when threads rarely run in parallel.
                if (random.Next(8) == 0)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.SpinWait(random.Next(64));
                }
                if (random.Next(4) == 0)
                {
                    // A re-entrant visit is never the last one: the outer visit still counts.
                    lockCnt.Inc();
                    if (lockCnt.DecAndLock())
                    {
                        Interlocked.Increment(ref violations);
                        lockCnt.Unlock();
                    }
                }
                Interlocked.Decrement(ref inVisit);
                if (lockCnt.DecAndLock())
                {
                    // Every other visit either ended before our count reached zero or is still
                    // waiting in Inc, so nobody can be between Inc and the decrement of inVisit.
                    if (Volatile.Read(ref inVisit) != 0 || lockCnt.Count != 0)
                    {
                        Interlocked.Increment(ref violations);
                    }
                    Interlocked.Increment(ref lastOut);
                    EnterLockedSection(ref lockedSections, ref lockedSectionsUnprotected, i);

                    // Nor can one start before we unlock, even though we may have yielded.
                    if (Volatile.Read(ref inVisit) != 0 || lockCnt.Count != 0)
                    {
                        Interlocked.Increment(ref violations);
                    }
                    lockCnt.Unlock();
                }
                Interlocked.Increment(ref visitsDone);
            }
        }

        void Write()
        {
            for (var i = 0; i < WriteSections; i++)
            {
                KeepPace(ref visitsDone, i, WriteSections, Visitors * VisitsPerThread);
                lockCnt.Lock();
                EnterLockedSection(ref lockedSections, ref lockedSectionsUnprotected, i);
                lockCnt.Unlock();
            }
        }

        RunConcurrently(
            Enumerable.Range(1, Visitors)
                .Select(seed => ($"visitor {seed}", (Action)(() => Visit(seed))))
                .Append(("writer", Write))
                .ToArray());

        _output.WriteLine(
            $"visits: {Visitors * VisitsPerThread}, write sections: {WriteSections}, " +
            $"DecAndLock returned true: {lastOut}");
        Assert.True(violations == 0, $"{violations} times DecAndLock returned true while another visit was in progress.");
        Assert.True(lastOut >= 1, "The visit that brought the count back to zero must have got the lock.");
        Assert.True(
            lockedSections == lockedSectionsUnprotected,
            $"{lockedSections} locked sections but {lockedSectionsUnprotected} counted without atomics: two overlapped.");
        Assert.Equal(0, lockCnt.Count);
        Assert.False(lockCnt.IsLocked);
    }

    /// <summary>
    /// A locked section: counts itself twice, once atomically and once with a plain increment
    /// that loses updates if two sections ever overlap. Now and then it yields while holding
    /// the lock, so that waiters stop spinning and park.
    /// </summary>
    private static void EnterLockedSection(ref int atomic, ref int unprotected, int iteration)
    {
        Interlocked.Increment(ref atomic);
        var seen = unprotected;
        if (iteration % 64 == 0)
        {
            Thread.Yield();
        }
        unprotected = seen + 1;
    }

    /// <summary>
    /// Holds a writer back until the visitors have done their share of visits, so its sections
    /// are spread over the whole run instead of being over before the visitors get going.
    /// Visitors never wait for the writer's pace (only for its lock, which it does not hold
    /// here), so they reach the total and every wait ends.
    /// </summary>
    private static void KeepPace(ref int visitsDone, int section, int sections, int totalVisits)
    {
        var due = (long)section * totalVisits / sections;
        var spinner = new SpinWait();
        while (Volatile.Read(ref visitsDone) < due)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    private static Thread Start(string name, Action body)
    {
        var thread = new Thread(() => body()) { Name = name, IsBackground = true };
        thread.Start();
        return thread;
    }

    private static void Join(Thread thread)
    {
        Assert.True(thread.Join(HangGuard), $"{thread.Name} never finished: a lost wake-up or a deadlock.");
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        Assert.True(SpinWait.SpinUntil(condition, HangGuard), $"Gave up waiting for {what}.");
    }

    /// <summary>Runs each body on its own thread, all released together; rethrows their failures.</summary>
    private static void RunConcurrently(params (string Name, Action Body)[] workers)
    {
        var failures = new ConcurrentQueue<Exception>();
        using var start = new Barrier(workers.Length);
        var threads = workers
            .Select(worker => Start(worker.Name, () =>
            {
                start.SignalAndWait();
                try
                {
                    worker.Body();
                }
                catch (Exception error)
                {
                    failures.Enqueue(error);
                }
            }))
            .ToArray();
        foreach (var thread in threads)
        {
            Join(thread);
        }
        if (!failures.IsEmpty)
        {
            throw new AggregateException(failures);
        }
    }

    /// <summary>
    /// A singly linked list walked without a lock, as an AioContext's handler list: items are
    /// added at the head under the lock, marked deleted by walkers, and unlinked and freed only
    /// with the count at zero and the lock held. Counters written only under the lock are plain.
    /// </summary>
    private sealed class ListScenario
    {
        // Bounds the list (and so the cost of a walk) even if frees are rare for a while.
        private const int MaxLinkedItems = 32;

        private readonly LockCnt _lockCnt = new();
        private volatile Item? _first;
        private int _added;
        private int _deleted;
        private int _freed;
        private int _freeSections;
        private long _itemsVisited;
        private int _writeSections;
        private int _useAfterFree;
        private int _doubleFree;
        private int _freedWhileVisited;
        private int _reentrantVisitWasLast;
        private int _lockedSections;
        private int _lockedSectionsUnprotected;

        public int Added => _added;

        public int Deleted => Volatile.Read(ref _deleted);

        public int Freed => _freed;

        public int FreeSections => _freeSections;

        public long ItemsVisited => Interlocked.Read(ref _itemsVisited);

        public int WriteSections => _writeSections;

        public void WalkAndFreeWhenLast(int seed, int walks)
        {
            var random = new Random(seed);
            long visited = 0;
            for (var i = 0; i < walks; i++)
            {
                AddEveryOtherWalk(i);
                _lockCnt.Inc();
                visited += Walk(random, reentrant: true);
                if (_lockCnt.DecAndLock())
                {
                    FreeDeleted(i);
                    _lockCnt.Unlock();
                }
            }
            Interlocked.Add(ref _itemsVisited, visited);
        }

        public void WalkAndFreeWhenAlone(int seed, int walks)
        {
            var random = new Random(seed);
            long visited = 0;
            for (var i = 0; i < walks; i++)
            {
                AddEveryOtherWalk(i);
                _lockCnt.Inc();
                Item? next;
                for (var item = _first; item is not null; item = next)
                {
                    next = item.Next;
                    CheckNotFreed(item);
                    if (!item.IsDeleted)
                    {
                        visited++;
                        MaybeDelete(item, random);
                    }
                    else if (_lockCnt.DecIfLock())
                    {
                        FreeOne(item, i);
                        _lockCnt.IncAndUnlock();
                    }
                }
                _lockCnt.Dec();
            }
            Interlocked.Add(ref _itemsVisited, visited);
        }

        public void AssertSafeAndBalanced()
        {
            Assert.True(_useAfterFree == 0, $"{_useAfterFree} times a walker met a freed item.");
            Assert.True(_freedWhileVisited == 0, $"{_freedWhileVisited} times a free section saw a visit in progress.");
            Assert.True(_doubleFree == 0, $"{_doubleFree} items were freed twice.");
            Assert.True(_reentrantVisitWasLast == 0, $"{_reentrantVisitWasLast} re-entrant visits got the lock from DecAndLock.");
            Assert.True(
                _lockedSections == _lockedSectionsUnprotected,
                $"{_lockedSections} locked sections but {_lockedSectionsUnprotected} counted without atomics: two overlapped.");
            Assert.Equal(0, _lockCnt.Count);
            Assert.False(_lockCnt.IsLocked);

            // Every added item is still linked or was freed, and only deleted items were freed.
            _lockCnt.Inc();
            Assert.True(_lockCnt.DecAndLock());
            FreeDeleted(iteration: 1);
            _lockCnt.Unlock();
            var linked = 0;
            for (var item = _first; item is not null; item = item.Next)
            {
                Assert.False(item.IsDeleted);
                linked++;
            }
            Assert.Equal(_deleted, _freed);
            Assert.Equal(_added, linked + _freed);
        }

        /// <summary>Tying adds to walks (rather than a writer thread of its own) keeps the list
        /// populated for as long as anybody walks it, however the threads get scheduled.</summary>
        private void AddEveryOtherWalk(int iteration)
        {
            if (iteration % 2 != 0)
            {
                return;
            }
            _lockCnt.Lock();
            if (_added - _freed < MaxLinkedItems)
            {
                // The volatile write of _first publishes the item fully built to walkers.
                _first = new Item { Next = _first };
                _added++;
            }
            _writeSections++;
            EnterLockedSection(ref _lockedSections, ref _lockedSectionsUnprotected, iteration);
            _lockCnt.Unlock();
        }

        private long Walk(Random random, bool reentrant)
        {
            long visited = 0;
            for (var item = _first; item is not null; item = item.Next)
            {
                CheckNotFreed(item);
                if (item.IsDeleted)
                {
                    continue;
                }
                visited++;
                if (MaybeDelete(item, random))
                {
                    continue;
                }
                if (reentrant && random.Next(64) == 0)
                {
                    // A handler that walks the list again (lockcnt.rst's reason for counting).
                    _lockCnt.Inc();
                    visited += Walk(random, reentrant: false);
                    if (_lockCnt.DecAndLock())
                    {
                        Interlocked.Increment(ref _reentrantVisitWasLast);
                        _lockCnt.Unlock();
                    }
                }
            }
            return visited;
        }

        private bool MaybeDelete(Item item, Random random)
        {
            if (random.Next(32) != 0 || !item.TryMarkDeleted())
            {
                return false;
            }
            Interlocked.Increment(ref _deleted);
            return true;
        }

        private void CheckNotFreed(Item item)
        {
            if (item.Freed)
            {
                Interlocked.Increment(ref _useAfterFree);
            }
        }

        /// <summary>Count zero, lock held: unlinks and frees every deleted item.</summary>
        private void FreeDeleted(int iteration)
        {
            CheckExclusive();
            Item? previous = null;
            for (var item = _first; item is not null; item = item.Next)
            {
                if (!item.IsDeleted)
                {
                    previous = item;
                    continue;
                }
                if (previous is null)
                {
                    _first = item.Next;
                }
                else
                {
                    previous.Next = item.Next;
                }
                Free(item);
            }
            _freeSections++;
            EnterLockedSection(ref _lockedSections, ref _lockedSectionsUnprotected, iteration);
            CheckExclusive();
        }

        /// <summary>Count zero, lock held: unlinks and frees one deleted item.</summary>
        private void FreeOne(Item target, int iteration)
        {
            CheckExclusive();
            Item? previous = null;
            var item = _first;
            while (item is not null && item != target)
            {
                previous = item;
                item = item.Next;
            }
            if (item is not null && previous is null)
            {
                _first = target.Next;
            }
            else if (previous is not null && item is not null)
            {
                previous.Next = target.Next;
            }

            // Not linked any more means someone unlinked and freed it already: Free counts that.
            Free(target);
            _freeSections++;
            EnterLockedSection(ref _lockedSections, ref _lockedSectionsUnprotected, iteration);
            CheckExclusive();
        }

        /// <summary>At both ends of a free section: no visit may have started in between.</summary>
        private void CheckExclusive()
        {
            if (_lockCnt.Count != 0)
            {
                _freedWhileVisited++;
            }
        }

        private void Free(Item item)
        {
            if (item.Freed)
            {
                _doubleFree++;
            }
            item.Freed = true;
            _freed++;
        }
    }

    private sealed class Item
    {
        private int _deleted;

        public volatile Item? Next;

        public volatile bool Freed;

        public bool IsDeleted => Volatile.Read(ref _deleted) != 0;

        public bool TryMarkDeleted() => Interlocked.Exchange(ref _deleted, 1) == 0;
    }
}
