using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local.Audio;
using CCApi.Adapters.Local.Hosting;
using CCApi.Adapters.Local.Images;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CCApi.Adapters.Local;

public static class LocalAdapterServices
{
    /// <summary>
    /// The local adapter's own registrations: the shared adapter machinery (options, heartbeat with espeak-ng as its
    /// status source, job runner), the engines the consumers use, and espeak-ng readiness.
    /// </summary>
    public static IHostApplicationBuilder AddLocalAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddAdapter(LocalAdapterOptions.SectionName, new LocalAdapterOptionsValidator());
        builder.Services.AddSingleton<IProviderStatusSource, EspeakStatus>();

        builder.Services.AddSingleton<SpeechSynthesizer>();
        builder.Services.AddSingleton<LocalSpeechProvider>();
        builder.Services.TryAddSingleton<ImageInputs>();
        builder.Services.AddSingleton<ImageJob>();
        builder.Services.AddHealthChecks().AddCheck<ToolsHealthCheck>("espeak-ng", tags: [HealthTags.Ready]);
        return builder;
    }
}
