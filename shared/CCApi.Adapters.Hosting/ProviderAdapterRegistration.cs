using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Hosting;

public static class ProviderAdapterRegistration
{
    /// <summary>
    /// A provider adapter's shared registrations: its options (section <paramref name="sectionName"/>, validated at start;
    /// the API key also from the environment variable <paramref name="apiKeyVariable"/> and the base URL from
    /// <paramref name="baseUrlVariable"/> when the section does not set them), the provider's health, its upstream
    /// pipeline (retry + circuit breaker) and the heartbeat. The options are also served as <see cref="ProviderAdapterOptions"/>.
    /// </summary>
    public static IHostApplicationBuilder AddProviderAdapter<TOptions>(this IHostApplicationBuilder builder, string sectionName, string apiKeyVariable, string baseUrlVariable)
        where TOptions : ProviderAdapterOptions
    {
        builder.Services.AddOptions<TOptions>()
            .BindConfiguration(sectionName)
            .Configure<IConfiguration>((o, config) =>
            {
                if (string.IsNullOrWhiteSpace(o.ApiKey))
                {
                    o.ApiKey = config[apiKeyVariable];
                }

                if (string.IsNullOrWhiteSpace(config[$"{sectionName}:BaseUrl"]) && !string.IsNullOrWhiteSpace(config[baseUrlVariable]))
                {
                    o.BaseUrl = config[baseUrlVariable]!;
                }

                o.ApiKey = string.IsNullOrWhiteSpace(o.ApiKey) ? null : o.ApiKey.Trim();
                o.BaseUrl = o.BaseUrl.TrimEnd('/');
            })
            .ValidateDataAnnotations()
            .Validate(o => Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                $"{sectionName}:BaseUrl (or {baseUrlVariable}) must be an absolute http(s) URL.")
            .ValidateOnStart();

        builder.Services.AddSingleton<ProviderAdapterOptions>(sp => sp.GetRequiredService<IOptions<TOptions>>().Value);
        builder.Services.AddSingleton<ProviderHealth>();
        builder.Services.AddSingleton<UpstreamPipeline>();
        builder.Services.AddHostedService<ProviderHeartbeatService>();
        return builder.AddAdapterJobs();
    }

    /// <summary>
    /// What every adapter's consumers run on, whatever their provider: the job runner, the result cache that answers
    /// redeliveries, and the cancellations of jobs whose client left (also register <see cref="JobCanceledConsumer"/>).
    /// </summary>
    public static IHostApplicationBuilder AddAdapterJobs(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<JobResultCache>();
        builder.Services.TryAddSingleton<JobCancellations>();
        builder.Services.TryAddSingleton<AdapterJobRunner>();
        builder.Services.TryAddSingleton<StreamingChatJobs>();
        return builder;
    }
}
