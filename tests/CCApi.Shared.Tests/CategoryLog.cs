using CCApi.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CCApi.Shared.Tests;

/// <summary>A logger provider that keeps the formatted lines of one category (at every level) and drops the rest.</summary>
internal sealed class CategoryLog(string category) : ILoggerProvider, ILogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public string Category => category;

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) =>
        categoryName == category ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue(formatter(state, exception));

    public void Dispose()
    {
    }
}

/// <summary>A generic host with ServiceDefaults, the given settings, and <paramref name="log"/>'s category logged at Debug.</summary>
internal static class ServiceDefaultsHost
{
    public static IHost Build(Dictionary<string, string?> settings, CategoryLog log)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        builder.Logging.AddFilter<CategoryLog>(log.Category, LogLevel.Debug);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        return builder.Build();
    }
}
