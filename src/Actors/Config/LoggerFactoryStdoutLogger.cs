using Akka.Event;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Actors.Config;

/// <summary>
/// Akka's "stdout logger" (<c>akka.stdout-logger-class</c> in reference.conf), writing to the system's
/// ILoggerFactory instead of the console once <see cref="AkkaHandover.CreateSystem"/> has attached it.
/// Akka uses this logger while its real loggers do not run: before they start (at
/// <c>akka.stdout-loglevel</c>), after they stop (at <c>akka.loglevel</c>), and, when a logger actor stops,
/// for every event still queued in its mailbox (Akka's <c>LoggerMailbox</c> drains them here whatever the
/// level). With Akka's <c>StandardOutLogger</c> those last events (often CoordinatedShutdown's own INFO
/// line) reach stdout now and then, as the logger stops in a race with the events sent to it. Until it
/// is attached it prints as Akka's does, so a system created another way loses nothing.
/// </summary>
public sealed class LoggerFactoryStdoutLogger : StandardOutLogger
{
    // The category LoggerFactoryLogger writes every Akka entry under.
    private const string Category = "Akka.Actor.ActorSystem";

    private volatile ILogger? _logger;

    /// <summary>
    /// From now on, writes to <paramref name="loggerFactory"/>. Called once the system exists: Akka
    /// creates this logger with its settings, before anything could hand it a factory.
    /// </summary>
    internal void Attach(ILoggerFactory loggerFactory) => _logger = loggerFactory.CreateLogger(Category);

    /// <summary>Writes a log event (or any other message) to the attached factory, or prints it until one is attached.</summary>
    protected override void Log(object message)
    {
        if (_logger is not { } logger)
        {
            base.Log(message);
            return;
        }

        if (message is LogEvent logEvent)
        {
            string text;
            try
            {
                // Akka's log filter (LogFilterSetup) applies here as it does to its StandardOutLogger.
                if (!Filter.ShouldTryKeepMessage(logEvent, out text))
                {
                    return;
                }
            }
            catch (FormatException e)
            {
                text = $"[{logEvent.LogSource}] a log message that does not match its arguments: {e.Message}";
            }

            logger.Log(LevelOf(logEvent.LogLevel()), default, text, logEvent.Cause, static (t, _) => t);
        }
        else
        {
            logger.Log(LogLevel.Information, default, message, null, static (m, _) => m.ToString() ?? "");
        }
    }

    private static LogLevel LevelOf(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
