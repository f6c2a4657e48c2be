using Akka.Actor;
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
    private BenchActors _actors = null!;
    private IActorRef _counter = null!;
    private readonly ManualResetEventSlim _done = new();
    private readonly object _message = new();

    [Params(BenchActors.LoopDispatcher, BenchActors.DefaultDispatcher)]
    public string Dispatcher { get; set; } = BenchActors.LoopDispatcher;

    [GlobalSetup]
    public void Setup()
    {
        _actors = new BenchActors();
        _counter = _actors.Start(Props.Create(() => new Counter(Burst, _done)), Dispatcher);
    }

    [GlobalCleanup]
    public void Cleanup() => _actors.Dispose();

    [Benchmark(OperationsPerInvoke = Burst)]
    public void OneWayTell()
    {
        _done.Reset();
        var counter = _counter;
        var message = _message;
        var sender = ActorRefs.NoSender;
        for (var i = 0; i < Burst; i++)
        {
            counter.Tell(message, sender);
        }
        _done.Wait();
    }

    private sealed class Counter : UntypedActor
    {
        private readonly int _burst;
        private readonly ManualResetEventSlim _done;
        private int _count;

        public Counter(int burst, ManualResetEventSlim done)
        {
            _burst = burst;
            _done = done;
        }

        protected override void OnReceive(object message)
        {
            if (++_count == _burst)
            {
                _count = 0;
                _done.Set();
            }
        }
    }
}
