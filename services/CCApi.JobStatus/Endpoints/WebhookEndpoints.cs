using CCApi.JobStatus.Jobs;
using CCApi.JobStatus.Webhooks;
using CCApi.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Endpoints;

/// <summary>Error codes of the redelivery route (409s; the gateway passes them through).</summary>
public static class WebhookErrorCodes
{
    /// <summary>The job was submitted without a webhook_url.</summary>
    public const string NoWebhook = "webhook_not_set";

    /// <summary>The job has not reached a final state: its webhook is not due yet.</summary>
    public const string JobNotFinished = "job_not_finished";

    /// <summary>An attempt is under way right now.</summary>
    public const string InProgress = "webhook_delivery_in_progress";

    /// <summary>No Webhooks:Secret is configured: nothing can be sent.</summary>
    public const string Disabled = "webhooks_disabled";
}

public static class WebhookEndpoints
{
    /// <summary>POST /jobs/{id}/webhook/redeliver: internal; the gateway checks owner_id first.</summary>
    public static WebApplication MapWebhookEndpoints(this WebApplication app)
    {
        app.MapGroup("/jobs").WithTags("Webhooks").MapPost("/{id:guid}/webhook/redeliver", Redeliver);
        return app;
    }

    /// <summary>
    /// Starts a new attempt series (attempts from 0, the same schedule) of a finished job's webhook, whatever became of
    /// the last one (delivered, failed, dead, or waiting for a retry, which this brings forward). The message keeps its
    /// webhook-id: it is the same message, so a receiver that already processed it can recognise it.
    /// </summary>
    public static async Task<Accepted<JobView>> Redeliver(
        Guid id, WebhookStore webhooks, JobStore jobs, IBus bus, IOptions<WebhookOptions> options, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            throw Conflict(WebhookErrorCodes.Disabled, "Webhooks are not configured on this platform.");
        }

        switch (await webhooks.RedeliverAsync(id))
        {
            case WebhookRedeliverOutcome.NoJob:
                throw ApiException.NotFound($"No job '{id:N}'.");
            case WebhookRedeliverOutcome.NoWebhook:
                throw Conflict(WebhookErrorCodes.NoWebhook, "The job was submitted without a webhook_url: there is nothing to redeliver.");
            case WebhookRedeliverOutcome.NotFinished:
                throw Conflict(WebhookErrorCodes.JobNotFinished, "The job has not finished: its webhook is sent when it does.");
            case WebhookRedeliverOutcome.InProgress:
                // Clears by itself within an attempt's timeout: the SDKs may retry it (x-should-retry: true).
                throw new ApiException(409, ErrorTypes.InvalidRequest, WebhookErrorCodes.InProgress, "A delivery attempt is under way; retry when it has ended.")
                {
                    ShouldRetry = true,
                };
        }

        await DeliverWebhookConsumer.EnqueueAsync(bus, id, cancellationToken);
        return TypedResults.Accepted($"/jobs/{id:N}", await jobs.GetAsync(id) ?? throw ApiException.NotFound($"No job '{id:N}'."));
    }

    private static ApiException Conflict(string code, string message) => new(409, ErrorTypes.InvalidRequest, code, message);
}
