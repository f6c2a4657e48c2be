using Akka.Actor.Setup;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using AkkaActorSystem = Akka.Actor.ActorSystem;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;
using BootstrapSetup = Akka.Actor.BootstrapSetup;

namespace Actors.Config;

/// <summary>
/// Hands our resolved HOCON to Akka.NET (DESIGN §3). Our parser reads the one tree (<c>actors.*</c>,
/// <c>host.*</c>, <c>nodes.*</c> and <c>akka.*</c>) and resolves it, since Akka 1.5.75's parser misses
/// <c>${?ENV}</c>, <c>+=</c>, self-references and includes; Akka then receives the result, with nothing
/// left to substitute, over the defaults of its plugins and its own.
/// </summary>
public static class AkkaHandover
{
    /// <summary>
    /// <paramref name="resolved"/> as an Akka config (resolved first if it is not yet), falling back to
    /// <paramref name="pluginDefaults"/> in the order given (e.g.
    /// <c>Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration</c>), then to Akka's own defaults.
    /// Every key reaches Akka; under <c>akka.*</c> durations and sizes are written as Akka reads them
    /// (<c>10us</c> becomes <c>10micros</c>). Throws <see cref="ConfigException"/>, naming the key, for an
    /// <c>akka.*</c> value Akka cannot receive as written: a negative duration, or a string with leading
    /// or trailing whitespace (Akka trims every string).
    /// </summary>
    public static AkkaConfig ToAkka(Config resolved, params AkkaConfig[] pluginDefaults)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        ArgumentNullException.ThrowIfNull(pluginDefaults);
        var text = AkkaRenderer.Render(resolved.Resolved);
        AkkaConfig config;
        try
        {
            config = AkkaConfigurationFactory.ParseString(text);
        }
        catch (Exception e) when (e is FormatException or Akka.Configuration.ConfigurationException)
        {
            // Our renderer writes JSON that Akka's parser reads; reaching this is a bug in AkkaRenderer.
            throw new ConfigException($"Akka's parser refused the rendered config: {e.Message}", e);
        }

        foreach (var defaults in pluginDefaults)
        {
            ArgumentNullException.ThrowIfNull(defaults, nameof(pluginDefaults));
            config = config.WithFallback(defaults);
        }

        return config.WithFallback(AkkaConfigurationFactory.Default());
    }

    /// <summary>
    /// Creates and starts an Akka actor system named <paramref name="name"/> on
    /// <see cref="ToAkka"/>'s config, with a <see cref="LoggerFactorySetup"/> so that
    /// <see cref="AkkaLogger"/> (named in <c>akka.loggers</c> by reference.conf) writes Akka's
    /// log into <paramref name="loggerFactory"/>, and attaches the factory to the
    /// <see cref="LoggerFactoryStdoutLogger"/>, so that what Akka logs while its loggers do not run
    /// (while the system stops) goes there too instead of to stdout. Without a factory the log goes
    /// nowhere (a system without that setup would fail to start its logger). Akka filters by
    /// <c>akka.loglevel</c> first, then the factory by its own rules; an entry's category is its
    /// source (an actor's path) and its text the message alone. With a certificate in
    /// <c>actors.cluster.tls</c>, remoting is given the <see cref="ClusterTls"/> setup.
    /// </summary>
    public static AkkaActorSystem CreateSystem(string name, Config resolved, ILoggerFactory? loggerFactory, params AkkaConfig[] pluginDefaults)
    {
        ArgumentNullException.ThrowIfNull(name);
        var setup = ActorSystemSetup.Create(
            BootstrapSetup.Create().WithConfig(ToAkka(resolved, pluginDefaults)),
            new LoggerFactorySetup(loggerFactory ?? NullLoggerFactory.Instance));
        if (ClusterTls.SetupFor(resolved) is { } tls)
        {
            setup = setup.And(tls);
        }
        var system = AkkaActorSystem.Create(name, setup);
        (system.Settings.StdoutLogger as LoggerFactoryStdoutLogger)?.Attach(loggerFactory ?? NullLoggerFactory.Instance);
        return system;
    }
}
