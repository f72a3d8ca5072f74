using System.Diagnostics;
using System.Text.Json;
using CCApi.JobStatus.Jobs;
using CCApi.ServiceDefaults;
using MassTransit;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// JobStatus' own internal step: deliver the webhook of a finished job. A message on a durable queue rather than an
/// in-process channel, so a delivery survives a restart (an unacknowledged message is redelivered) and spreads over
/// replicas, while slow receivers and retry backoff never hold up the job-event consumers.
/// </summary>
public sealed record DeliverJobWebhook
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}

public sealed partial class DeliverWebhookConsumer(
    JobStore store, WebhookRenderer renderer, WebhookSender sender, ILogger<DeliverWebhookConsumer> logger)
    : IConsumer<DeliverJobWebhook>
{
    public const string QueueName = "jobstatus-webhooks";

    private static readonly Uri Queue = new($"queue:{QueueName}");

    public static async Task EnqueueAsync(ISendEndpointProvider sendEndpoints, Guid jobId, CancellationToken cancellationToken)
    {
        var endpoint = await sendEndpoints.GetSendEndpoint(Queue);
        await endpoint.Send(new DeliverJobWebhook { JobId = jobId, Timestamp = DateTimeOffset.UtcNow }, cancellationToken);
    }

    public async Task Consume(ConsumeContext<DeliverJobWebhook> context)
    {
        var jobId = context.Message.JobId;
        var job = await store.GetAsync(jobId);
        if (job is not { IsTerminal: true, WebhookUrl: { } url } || job.WebhookStatus is WebhookStates.Delivered or WebhookStates.Failed)
        {
            return; // expired, not final, no webhook, or already done (a duplicate request)
        }

        // Claim it: a duplicate request (the same final event seen twice) finds it taken and stops here. A delivery
        // interrupted by a crash or a Redis retry finds it taken too, but is the same message coming back: it goes on.
        var claim = await store.SetWebhookStatusAsync(jobId, WebhookStates.Delivering, null, expected: WebhookStates.Pending);
        var resumed = job.WebhookStatus == WebhookStates.Delivering && (context.ReceiveContext.Redelivered || context.GetRetryAttempt() > 0);
        if (claim.Outcome != JobWriteOutcome.Applied && !resumed)
        {
            return;
        }

        using var activity = CcapiTelemetry.Source.StartActivity("webhook deliver");
        activity?.SetTag("ccapi.job_id", job.Id);
        activity?.SetTag("ccapi.webhook.event", "job." + job.State);

        var payload = await renderer.RenderAsync(job, context.CancellationToken);
        var body = JsonSerializer.Serialize(payload, JobStatusJsonContext.Web.WebhookPayload);
        var delivery = await sender.SendAsync(url, "job." + job.State, body, context.CancellationToken);
        await store.SetWebhookStatusAsync(jobId, delivery.Delivered ? WebhookStates.Delivered : WebhookStates.Failed, delivery.Attempts);

        activity?.SetTag("ccapi.webhook.attempts", delivery.Attempts);
        activity?.SetTag("http.response.status_code", delivery.StatusCode);
        if (delivery.Delivered)
        {
            LogDelivered(logger, jobId, delivery.Attempts);
        }
        else
        {
            activity?.SetStatus(ActivityStatusCode.Error, delivery.Problem);
            LogNotDelivered(logger, jobId, delivery.Attempts, delivery.Problem);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of job {JobId} delivered after {Attempts} attempt(s)")]
    private static partial void LogDelivered(ILogger logger, Guid jobId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of job {JobId} not delivered after {Attempts} attempt(s): {Problem}")]
    private static partial void LogNotDelivered(ILogger logger, Guid jobId, int attempts, string? problem);
}
