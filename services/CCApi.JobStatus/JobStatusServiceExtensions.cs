using CCApi.JobStatus.Jobs;
using CCApi.JobStatus.Webhooks;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus;

public static class JobStatusServiceExtensions
{
    private const string WebhookProblemsHint =
        "Webhooks:Secret must be whsec_ + base64 of 24 to 64 bytes (or unset: webhooks off), and Webhooks:Schedule 1 to 20 comma-separated delays of at most 1 day.";

    /// <summary>
    /// Job records and their script, the stuck-job sweeper, webhook rendering/signing/sending (posted through the
    /// <see cref="OutboundUrlGuard"/>), and their options.
    /// </summary>
    public static IHostApplicationBuilder AddJobStatusServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JobsOptions>()
            .BindConfiguration(JobsOptions.SectionName)
            .ValidateAttributes(new JobsOptionsValidator())
            .Validate(o => o.StuckAfter < o.Ttl, "Jobs:StuckAfter must be shorter than Jobs:Ttl, or stuck jobs expire before they are failed.")
            .ValidateOnStart();
        builder.Services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.SectionName)
            .ValidateAttributes(new WebhookOptionsValidator())
            .Validate(o => !o.Problems().Any(), "Webhooks: " + WebhookProblemsHint)
            .ValidateOnStart();
        builder.Services.AddBlobUrls();
        builder.AddOutboundUrlGuard();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddSingleton<SynchronousReplyPublisher>(); // JobRegistered on the gateway's Redis channel
        builder.Services.AddSingleton<JobEvents>();
        builder.Services.AddSingleton<JobUpdater>();
        builder.Services.AddSingleton<WebhookRenderer>();
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddSingleton<WebhookStore>();
        builder.Services.AddHostedService<WebhookRetryPoller>();
        builder.Services.AddHostedService<StuckJobSweeper>();
        builder.Services.AddHostedService<JobStatusStartup>();

        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, JobStatusJsonContext.Default));
        return builder;
    }
}

/// <summary>Says at start what a configuration leaves out, where it is allowed but worth knowing.</summary>
internal sealed partial class JobStatusStartup(IOptions<WebhookOptions> webhooks, BlobUrlSigner signer, ILogger<JobStatusStartup> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!webhooks.Value.Enabled)
        {
            LogWebhooksOff(logger);
        }

        if (signer.PublicBaseUrl is null)
        {
            LogNoPublicBaseUrl(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhooks:Secret is not set: webhooks are off (the gateway refuses webhook_url; none is ever sent unsigned)")]
    private static partial void LogWebhooksOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BlobUrls:PublicBaseUrl is not set: image URLs in webhooks are paths without an origin")]
    private static partial void LogNoPublicBaseUrl(ILogger logger);
}
