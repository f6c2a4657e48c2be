using Akka.Actor;
using BenchmarkDotNet.Attributes;

namespace Benchmarks;

/// <summary>Round trip of an <c>Ask</c> to an idle echo actor: send, actor replies, caller resumes.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class AskBenchmarks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private BenchActors _actors = null!;
    private IActorRef _echo = null!;
    private readonly object _message = new();

    [Params(BenchActors.LoopDispatcher, BenchActors.DefaultDispatcher)]
    public string Dispatcher { get; set; } = BenchActors.LoopDispatcher;

    [GlobalSetup]
    public void Setup()
    {
        _actors = new BenchActors();
        _echo = _actors.Start(Props.Create<Echo>(), Dispatcher);
    }

    [GlobalCleanup]
    public void Cleanup() => _actors.Dispose();

    [Benchmark]
    public Task<object> AskRoundTrip() => _echo.Ask(_message, Timeout);

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message, Self));
    }
}
