using System.Diagnostics;
using System.Text.Json;
using CCApi.JobStatus.Jobs;
using CCApi.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// JobStatus' own internal step: make the next attempt at a finished job's webhook. A message on a durable queue rather
/// than an in-process channel, so it survives a restart and spreads over replicas while slow receivers never hold up
/// the job-event consumers. Sent when a job ends, on a redelivery, and by <see cref="WebhookRetryPoller"/> when a retry
/// (or a dead attempt's lease) comes due.
/// </summary>
public sealed record DeliverJobWebhook
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>
/// One attempt per message: claim the delivery (a lease in the job's hash), POST once, record the outcome and, if it is
/// to be retried, when. The schedule lives in Redis (<see cref="WebhookStore"/>), not in a broker plugin: the RabbitMQ
/// this platform runs on (Debian's 3.10) has no delayed-message exchange, and MassTransit's other schedulers need
/// Quartz/Hangfire storage we do not run. Retries therefore survive restarts and span the whole day-long schedule.
/// </summary>
public sealed partial class DeliverWebhookConsumer(
    JobStore jobs,
    WebhookStore webhooks,
    WebhookRenderer renderer,
    WebhookSender sender,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<DeliverWebhookConsumer> logger)
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
        var settings = options.Value;
        var lease = (context.MessageId ?? NewId.NextGuid()).ToString("N"); // the same on a redelivery of this message
        var claim = await webhooks.ClaimAsync(jobId, lease, time.GetUtcNow() + settings.AttemptLease);
        switch (claim.Outcome)
        {
            case WebhookClaimOutcome.Done:
                await webhooks.UnscheduleAsync(jobId);
                return;
            case WebhookClaimOutcome.NotDue:
                await webhooks.ScheduleAsync(jobId, DateTimeOffset.FromUnixTimeMilliseconds(claim.DueMs!.Value));
                return;
            case WebhookClaimOutcome.Busy:
                // Whoever holds it normally reschedules it; if it died before doing so, this brings it back after the lease.
                await webhooks.ScheduleAsync(jobId, DateTimeOffset.FromUnixTimeMilliseconds(claim.DueMs!.Value), onlyIfAbsent: true);
                return;
        }

        // From here a crash leaves the delivery claimed: this entry brings it back once the lease has ended.
        await webhooks.ScheduleAsync(jobId, time.GetUtcNow() + settings.AttemptLease);
        var job = await jobs.GetAsync(jobId);
        if (job is not { IsTerminal: true, WebhookUrl: { } url })
        {
            await webhooks.UnscheduleAsync(jobId); // expired meanwhile
            return;
        }

        using var activity = CcapiTelemetry.Source.StartActivity("webhook deliver");
        activity?.SetTag("ccapi.job_id", job.Id);
        activity?.SetTag("ccapi.webhook.event", "job." + job.State);
        var attempts = claim.Attempts + 1;
        activity?.SetTag("ccapi.webhook.attempt", attempts);

        var payload = await renderer.RenderAsync(job, context.CancellationToken);
        var body = JsonSerializer.Serialize(payload, JobStatusJsonContext.Web.WebhookPayload);
        var message = new WebhookMessage(WebhookSigner.MessageId(job.Id, job.State), "job." + job.State, body);
        var attempt = await sender.SendAsync(url, message, context.CancellationToken);

        var now = time.GetUtcNow();
        var (status, next) = Decide(attempt, attempts, settings, now);
        if (!await webhooks.RecordAsync(jobId, lease, status, attempts, attempt, now, next))
        {
            return; // this attempt outlived its lease and another took over: its outcome is theirs to record
        }

        if (next is { } due)
        {
            await webhooks.ScheduleAsync(jobId, due);
        }
        else
        {
            await webhooks.UnscheduleAsync(jobId);
        }

        activity?.SetTag("ccapi.webhook.status", status);
        activity?.SetTag("http.response.status_code", attempt.StatusCode);
        switch (status)
        {
            case WebhookStates.Delivered:
                LogDelivered(logger, jobId, attempts);
                break;
            case WebhookStates.Pending:
                LogRetrying(logger, jobId, attempts, attempt.Problem, next!.Value);
                break;
            default:
                activity?.SetStatus(ActivityStatusCode.Error, attempt.Problem);
                LogGaveUp(logger, jobId, status, attempts, attempt.Problem);
                break;
        }
    }

    /// <summary>The delivery's status after an attempt, and when the next one is due (pending only).</summary>
    public static (string Status, DateTimeOffset? Next) Decide(WebhookAttempt attempt, int attempts, WebhookOptions settings, DateTimeOffset now)
    {
        switch (attempt.Outcome)
        {
            case WebhookAttemptOutcome.Delivered:
                return (WebhookStates.Delivered, null);
            case WebhookAttemptOutcome.Stop:
                return (WebhookStates.Failed, null);
        }

        var delay = WebhookSchedule.NextDelay(settings.RetryDelays, attempts, attempt.RetryAfter, settings.Jitter, settings.MaxRetryAfter, Random.Shared.NextDouble());
        return delay is { } d ? (WebhookStates.Pending, now + d) : (WebhookStates.Dead, null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of job {JobId} delivered at attempt {Attempts}")]
    private static partial void LogDelivered(ILogger logger, Guid jobId, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of job {JobId}: attempt {Attempts} failed ({Problem}); next attempt at {Next:O}")]
    private static partial void LogRetrying(ILogger logger, Guid jobId, int attempts, string? problem, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of job {JobId} is {Status} after {Attempts} attempt(s): {Problem}")]
    private static partial void LogGaveUp(ILogger logger, Guid jobId, string status, int attempts, string? problem);
}
