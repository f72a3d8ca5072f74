using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CCApi.Catalog;

public static class CatalogServiceExtensions
{
    /// <summary>Options, the definition (loaded and validated at start), live provider status and its timers.</summary>
    public static IHostApplicationBuilder AddCatalogServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogOptions>()
            .BindConfiguration(CatalogOptions.SectionName)
            .ValidateAttributes(new CatalogOptionsValidator())
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CatalogDefinitionSource>();
        builder.Services.AddSingleton(sp =>
        {
            var state = new CatalogState(
                sp.GetRequiredService<CatalogDefinitionSource>().Load(),
                sp.GetRequiredService<IOptions<CatalogOptions>>().Value.HeartbeatTimeout,
                sp.GetRequiredService<TimeProvider>());
            ProviderStatusMetric.Watch(state);
            return state;
        });

        // First of all hosted services: a bad definition stops the process before the bus connects, with the reason.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, CatalogStartup>());
        builder.Services.AddHostedService<ProviderStatusMonitor>();
        builder.Services.AddHostedService<CatalogDefinitionWatcher>();

        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, CatalogJsonContext.Default));
        return builder;
    }
}

/// <summary>Loads the definition at start so that a missing or inconsistent file fails the start, not the first request.</summary>
internal sealed partial class CatalogStartup(IServiceProvider services, ILogger<CatalogStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Options are validated by the host before hosted services start; the definition is checked here.
        var catalog = services.GetRequiredService<CatalogState>().Current.Document;
        var path = services.GetRequiredService<CatalogDefinitionSource>().Path;
        LogLoaded(logger, path, catalog.Version, catalog.Providers.Count, catalog.Models.Count);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog definition {Path} loaded as {Version}: {Providers} providers, {Models} models")]
    private static partial void LogLoaded(ILogger logger, string path, string version, int providers, int models);
}
