using Actors.Config;
using Akka.Event;
using Microsoft.Extensions.Logging;
using TestTools;
using AkkaActorSystem = Akka.Actor.ActorSystem;
using HoconConfig = Actors.Config.Config;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Actors.Tests.Config;

public sealed class AkkaLoggingTests : IAsyncLifetime
{
    private readonly MemoryLoggerProvider _log = new();
    private ILoggerFactory _loggerFactory = null!;
    private AkkaActorSystem _system = null!;

    private static HoconConfig Reference => ConfigFactory.Reference();

    public Task InitializeAsync()
    {
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(_log).SetMinimumLevel(LogLevel.Trace));
        _system = AkkaHandover.CreateSystem("logging", Reference.Resolve(), _loggerFactory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _system.Terminate();
        _loggerFactory.Dispose();
    }

    [Fact]
    public async Task An_Akka_warning_reaches_the_logger_factory_as_a_warning()
    {
        _system.Log.Warning("disk {0} is slow", "d0");

        var entry = await _log.WaitForAsync(e => e.Message.Contains("disk d0 is slow"));

        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.StartsWith("ActorSystem(", entry.Category);
        Assert.Equal("disk d0 is slow", entry.Message);
    }

    [Fact]
    public async Task An_Akka_error_reaches_the_logger_factory_as_an_error_with_its_exception()
    {
        var cause = new InvalidOperationException("journal is gone");
        _system.Log.Error(cause, "node {0} failed", "n1");

        var entry = await _log.WaitForAsync(e => e.Message.Contains("node n1 failed"));

        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Same(cause, entry.Exception);
    }

    [Fact]
    public async Task An_actors_log_reaches_the_logger_factory_with_the_actors_path()
    {
        var actor = _system.ActorOf(Akka.Actor.Props.Create(() => new LoggingActor()), "speaker");
        actor.Tell("hello", Akka.Actor.ActorRefs.NoSender);

        var entry = await _log.WaitForAsync(e => e.Message.Contains("heard hello"));

        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("akka://logging/user/speaker", entry.Category);
    }

    [Fact]
    public async Task Debug_lines_are_dropped_at_the_default_INFO_level()
    {
        _system.Log.Debug("a debug line");
        _system.Log.Info("an info line");

        await _log.WaitForAsync(e => e.Message.Contains("an info line"));

        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains("a debug line"));
    }

    [Fact]
    public async Task What_Akka_logs_while_the_system_stops_reaches_the_logger_factory()
    {
        await _system.Terminate();

        var entry = await _log.WaitForAsync(e => e.Message.Contains("CoordinatedShutdown invoked"));

        Assert.Equal(LogLevel.Information, entry.Level);
    }

    private sealed class LoggingActor : Akka.Actor.ReceiveActor
    {
        public LoggingActor()
        {
            var log = Context.GetLogger();
            Receive<string>(text => log.Info("heard {0}", text));
        }
    }
}
