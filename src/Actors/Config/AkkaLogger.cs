using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Actors.Config;

/// <summary>
/// Akka's logger (<c>akka.loggers</c> in reference.conf): writes every Akka log event to the
/// system's ILoggerFactory (its <see cref="LoggerFactorySetup"/>, which
/// <see cref="AkkaHandover.CreateSystem"/> adds), in the host's own format: the category is the
/// event's source (an actor's path, <c>akka://actors/user/graph/owner</c>), the text is the
/// message alone, so an Akka line reads like the host's (<c>warn: akka://actors/user/graph/owner[0] ...</c>).
/// </summary>
public sealed class AkkaLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;

    public AkkaLogger()
    {
        _factory = Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value?.LoggerFactory ?? NullLoggerFactory.Instance;
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Write(_factory, e));
    }

    private static readonly ConcurrentDictionary<(ILoggerFactory, string), ILogger> s_loggers = new();

    /// <summary>Writes <paramref name="e"/> to <paramref name="factory"/> under its source, at its level.</summary>
    internal static void Write(ILoggerFactory factory, LogEvent e)
    {
        var logger = s_loggers.GetOrAdd((factory, e.LogSource ?? "akka"), static key => key.Item1.CreateLogger(key.Item2));
        string text;
        try
        {
            text = e.Message?.ToString() ?? "";
        }
        catch (FormatException wrong)
        {
            text = $"a log message that does not match its arguments ({wrong.Message}): {e.Message}";
        }
        logger.Log(LevelOf(e.LogLevel()), default, text, e.Cause, static (t, _) => t);
    }

    private static LogLevel LevelOf(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
