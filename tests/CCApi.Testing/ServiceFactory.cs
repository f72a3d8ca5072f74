using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CCApi.Testing;

/// <summary>
/// Hosts one service in-process against test.sh's real RabbitMQ (in the project's virtual host) and Redis. Extra settings
/// use configuration keys ("Section:Key").
/// </summary>
public class ServiceFactory<TProgram>(string vhost, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<TProgram>
    where TProgram : class
{
    private readonly StartupFailureLog _startupFailures = new();

    /// <summary>
    /// Starts the service expecting it to refuse, and returns why (the exception its host's start threw).
    /// WebApplicationFactory can lose that reason: the application starts its own host on its own thread, and when that
    /// start fails and the host is disposed before the factory asks it for its lifetime, the factory throws an
    /// ObjectDisposedException instead. The host logs the reason ("Hosting failed to start") before it rethrows, so the
    /// reason is taken from there.
    /// </summary>
    public Exception StartupFailure()
    {
        try
        {
            _ = Services;
        }
        catch (Exception thrown)
        {
            return _startupFailures.First ?? thrown;
        }

        throw new InvalidOperationException($"{typeof(TProgram).Assembly.GetName().Name} started; it was expected to refuse.");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(config =>
        {
            var values = new Dictionary<string, string?>
            {
                ["ConnectionStrings:RabbitMq"] = TestInfrastructure.RabbitMq(vhost),
                ["ConnectionStrings:Redis"] = TestInfrastructure.Redis,
                ["BlobUrls:SigningKey"] = TestInfrastructure.SigningKey,
                ["OutboundUrls:AllowPrivateNetworks"] = "true",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            config.AddInMemoryCollection(values);
        });
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(_startupFailures));
    }

    /// <summary>Keeps the exception of the host's "Hosting failed to start" log entry.</summary>
    private sealed class StartupFailureLog : ILoggerProvider, ILogger
    {
        private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";
        private const string StartupFaulted = "HostedServiceStartupFaulted";
        private readonly ConcurrentQueue<Exception> _failures = new();

        public Exception? First => _failures.TryPeek(out var failure) ? failure : null;

        public ILogger CreateLogger(string categoryName) => categoryName == HostCategory ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not null && eventId.Name == StartupFaulted)
            {
                _failures.Enqueue(exception);
            }
        }

        public void Dispose()
        {
        }
    }
}
