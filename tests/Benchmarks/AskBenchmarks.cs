using Actors.Core;
using BenchmarkDotNet.Attributes;

namespace Benchmarks;

/// <summary>Round trip of an <c>Ask</c> to an idle echo actor: send, actor replies, caller resumes.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class AskBenchmarks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private ActorSystem _system = null!;
    private IActorRef _echo = null!;
    private readonly object _message = new();

    [Params(Props.PinnedDispatcher, Props.DefaultDispatcher)]
    public string Dispatcher { get; set; } = Props.PinnedDispatcher;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench");
        _echo = _system.ActorOf(Props.Create<Echo>().WithDispatcher(Dispatcher));
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    [Benchmark]
    public Task<object> AskRoundTrip() => _echo.Ask(_message, Timeout);

    private sealed class Echo : ActorBase
    {
        protected override bool Receive(object message)
        {
            Sender.Tell(message, Self);
            return true;
        }
    }
}
