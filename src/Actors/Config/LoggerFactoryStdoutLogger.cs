using Akka.Event;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Actors.Config;

/// <summary>
/// Akka's "stdout logger" (<c>akka.stdout-logger-class</c> in reference.conf), writing to the system's
/// ILoggerFactory instead of the console once <see cref="AkkaHandover.CreateSystem"/> has attached it.
/// Akka uses this logger while its real loggers do not run: before they start (at
/// <c>akka.stdout-loglevel</c>), after they stop (at <c>akka.loglevel</c>), and, when a logger actor stops,
/// for every event still queued in its mailbox (Akka's <c>LoggerMailbox</c> drains them here whatever the
/// level). With Akka's <c>StandardOutLogger</c> those last events (often CoordinatedShutdown's own INFO
/// line) reach stdout now and then, as the logger stops in a race with the events sent to it. It writes
/// as <see cref="AkkaLogger"/> does; until it is attached it prints as Akka's does, so a system created
/// another way loses nothing.
/// </summary>
public sealed class LoggerFactoryStdoutLogger : StandardOutLogger
{
    private volatile ILoggerFactory? _factory;

    /// <summary>
    /// From now on, writes to <paramref name="loggerFactory"/>. Called once the system exists: Akka
    /// creates this logger with its settings, before anything could hand it a factory.
    /// </summary>
    internal void Attach(ILoggerFactory loggerFactory) => _factory = loggerFactory;

    /// <summary>Writes a log event (or any other message) to the attached factory, or prints it until one is attached.</summary>
    protected override void Log(object message)
    {
        if (_factory is not { } factory)
        {
            base.Log(message);
            return;
        }

        if (message is LogEvent logEvent)
        {
            // Akka's log filter (LogFilterSetup) applies here as it does to its StandardOutLogger.
            if (Filter.ShouldTryKeepMessage(logEvent, out _))
            {
                AkkaLogger.Write(factory, logEvent);
            }
        }
        else
        {
            factory.CreateLogger("akka").Log(LogLevel.Information, default, message, null, static (m, _) => m.ToString() ?? "");
        }
    }
}
