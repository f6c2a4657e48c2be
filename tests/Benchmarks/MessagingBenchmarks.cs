using Actors.Core;
using BenchmarkDotNet.Attributes;

namespace Benchmarks;

/// <summary>
/// One producer thread sends a burst of messages to one actor that counts them; the figure is
/// the time per message from the first send to the last one processed (one-way throughput).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class MessagingBenchmarks
{
    private const int Burst = 1_000_000;
    private ActorSystem _system = null!;
    private IActorRef _counter = null!;
    private readonly ManualResetEventSlim _done = new();
    private readonly object _message = new();

    [Params(Props.PinnedDispatcher, Props.DefaultDispatcher)]
    public string Dispatcher { get; set; } = Props.PinnedDispatcher;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench");
        _counter = _system.ActorOf(Props.Create(() => new Counter(Burst, _done)).WithDispatcher(Dispatcher));
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    [Benchmark(OperationsPerInvoke = Burst)]
    public void OneWayTell()
    {
        _done.Reset();
        var counter = _counter;
        var message = _message;
        var sender = Nobody.Instance;
        for (var i = 0; i < Burst; i++)
        {
            counter.Tell(message, sender);
        }
        _done.Wait();
    }

    private sealed class Counter : ActorBase
    {
        private readonly int _burst;
        private readonly ManualResetEventSlim _done;
        private int _count;

        public Counter(int burst, ManualResetEventSlim done)
        {
            _burst = burst;
            _done = done;
        }

        protected override bool Receive(object message)
        {
            if (++_count == _burst)
            {
                _count = 0;
                _done.Set();
            }
            return true;
        }
    }
}
