using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local.Audio;
using CCApi.Adapters.Local.Hosting;
using CCApi.Adapters.Local.Images;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Local;

public static class LocalAdapterServices
{
    /// <summary>The local adapter's own registrations: options, the engines the consumers use, heartbeat and readiness.</summary>
    public static IHostApplicationBuilder AddLocalAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LocalAdapterOptions>()
            .BindConfiguration(LocalAdapterOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<SpeechSynthesizer>();
        builder.Services.AddSingleton<ImageJob>();
        builder.Services.AddHostedService<HeartbeatService>();
        builder.AddAdapterJobs();
        builder.Services.AddHealthChecks().AddCheck<ToolsHealthCheck>("espeak-ng", tags: [HealthTags.Ready]);
        return builder;
    }
}
