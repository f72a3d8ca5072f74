using System.Text.RegularExpressions;
using CCApi.Contracts;
using CCApi.Messaging;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Hosting;

public static partial class AdapterRegistration
{
    /// <summary>
    /// What every provider adapter registers, whether it calls an upstream API or not: its options (section
    /// <paramref name="sectionName"/>, validated at start and also served as <see cref="AdapterOptions"/>), the provider's
    /// health (the worst of the registered <see cref="IProviderStatusSource"/>s), the heartbeat, what its consumers
    /// run on (<see cref="AddAdapterJobs"/>) and the <see cref="OutboundUrlGuard"/> that fetches <c>image.url</c> inputs.
    /// <paramref name="validator"/> checks the options' attributes: the adapter's source-generated
    /// <c>[OptionsValidator]</c> class (see <see cref="OptionsValidation.ValidateAttributes{TOptions}"/>).
    /// </summary>
    public static OptionsBuilder<TOptions> AddAdapter<TOptions>(this IHostApplicationBuilder builder, string sectionName, IValidateOptions<TOptions> validator)
        where TOptions : AdapterOptions
    {
        var options = builder.Services.AddOptions<TOptions>()
            .BindConfiguration(sectionName)
            .ValidateAttributes(validator)
            .Validate(o => ProviderName().IsMatch(o.Provider), $"{sectionName}:Provider must be lower-case letters, digits and '-'.")
            .ValidateOnStart();

        builder.Services.AddSingleton<AdapterOptions>(sp => sp.GetRequiredService<IOptions<TOptions>>().Value);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProviderHealth>();
        builder.Services.AddHostedService<ProviderHeartbeatService>();
        builder.AddAdapterJobs();
        builder.AddOutboundUrlGuard();
        return options;
    }

    /// <summary>
    /// An adapter that calls a provider's HTTP API: <see cref="AddAdapter{TOptions}"/>, with the API key also taken from
    /// the environment variable <paramref name="apiKeyVariable"/> and the base URL from <paramref name="baseUrlVariable"/>
    /// when the section does not set them; the options also served as <see cref="UpstreamAdapterOptions"/>; the upstream
    /// pipeline (retry + circuit breaker); and the API key and the breaker as the provider's status sources.
    /// </summary>
    public static OptionsBuilder<TOptions> AddUpstreamAdapter<TOptions>(this IHostApplicationBuilder builder, string sectionName, string apiKeyVariable, string baseUrlVariable, IValidateOptions<TOptions> validator)
        where TOptions : UpstreamAdapterOptions
    {
        var options = builder.AddAdapter(sectionName, validator)
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
            .Validate(o => Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                $"{sectionName}:BaseUrl (or {baseUrlVariable}) must be an absolute http(s) URL.");

        builder.Services.AddSingleton<UpstreamAdapterOptions>(sp => sp.GetRequiredService<IOptions<TOptions>>().Value);
        builder.Services.AddSingleton<CircuitBreakerState>();
        builder.Services.AddSingleton<IProviderStatusSource, ApiKeyStatus>();
        builder.Services.AddSingleton<IProviderStatusSource>(sp => sp.GetRequiredService<CircuitBreakerState>());
        builder.Services.AddSingleton<UpstreamPipeline>();
        return options;
    }

    /// <summary>
    /// What every adapter's consumers run on, whatever their provider: the job runner, the result cache that answers
    /// redeliveries, and the cancellations of jobs whose client left (whose consumer <see cref="AddAdapterMessaging"/> registers).
    /// </summary>
    public static IHostApplicationBuilder AddAdapterJobs(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<JobResultCache>();
        builder.Services.TryAddSingleton<JobCancellations>();
        builder.Services.TryAddSingleton<SynchronousReplyPublisher>();
        builder.Services.TryAddSingleton<AdapterJobRunner>();
        builder.Services.TryAddSingleton<StreamingChatJobs>();
        if (!builder.Services.Any(d => d.ServiceType == typeof(SynchronousOutcomePublisher)))
        {
            // After the bus (AdapterHost adds the bus first), so it stops first and publishes what it holds while the bus is up.
            builder.Services.AddSingleton<SynchronousOutcomePublisher>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SynchronousOutcomePublisher>());
        }

        return builder;
    }

    /// <summary>
    /// The adapter's bus: its own job consumers (<paramref name="consumers"/>, one per capability) and what every adapter
    /// runs beside them, the per-instance <see cref="JobCanceledConsumer"/> that stops jobs whose client left.
    /// </summary>
    public static IHostApplicationBuilder AddAdapterMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> consumers) =>
        builder.AddMessaging(x =>
        {
            consumers(x);
            x.AddConsumer<JobCanceledConsumer, JobCanceledConsumerDefinition>();
        });

    /// <summary>
    /// The kit's speech consumer (<see cref="ProviderSpeechConsumer{TProvider}"/>) on "{provider}-speech", for an adapter
    /// whose provider client is an <see cref="ISpeechProvider"/>.
    /// </summary>
    public static void AddProviderSpeechConsumer<TProvider>(this IBusRegistrationConfigurator x)
        where TProvider : class, ISpeechProvider =>
        x.AddConsumer<ProviderSpeechConsumer<TProvider>, ProviderSpeechConsumerDefinition<TProvider>>();

    /// <summary>
    /// The adapter's image consumer on "{provider}-image-async" too (<see cref="AsyncImageConsumer{TConsumer}"/>), beside
    /// its own registration on "{provider}-image": every adapter that makes images takes async jobs on their own queue.
    /// </summary>
    public static void AddAsyncImageConsumer<TConsumer>(this IBusRegistrationConfigurator x)
        where TConsumer : class, IConsumer<GenerateImage> =>
        x.AddConsumer<AsyncImageConsumer<TConsumer>, AsyncImageConsumerDefinition<TConsumer>>();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex ProviderName();
}
