using System.Diagnostics;
using CCApi.JobStatus.Webhooks;
using CCApi.ServiceDefaults;
using MassTransit;

namespace CCApi.JobStatus.Jobs;

/// <summary>
/// Applies a change to a job and does what follows from the outcome: keeps the sweeper's watch list in step and, when an
/// async job with a webhook has ended, hands delivery to the webhook queue (off this consumer's critical path, durable).
/// </summary>
public sealed partial class JobUpdater(JobStore store, ILogger<JobUpdater> logger)
{
    /// <param name="trace">The span the change belongs under when it is not the current one (a batch's entry); default: the current.</param>
    public async Task<JobWriteResult> ApplyAsync(JobChange change, ISendEndpointProvider sender, CancellationToken cancellationToken, ActivityContext trace = default)
    {
        // Named after the cause: the bus's own spans are named after the shared queue ("jobstatus process").
        using var activity = CcapiTelemetry.Source.StartActivity($"jobstatus {change.Cause}", ActivityKind.Internal, trace);
        activity?.SetTag("ccapi.job_id", change.JobId.ToString("N"));
        var tracked = !change.IsTerminal && change.MayCreate;
        if (tracked)
        {
            // Before the write: a crash between the two leaves an entry the sweeper drops, never a job nobody watches.
            await store.TrackAsync(change.JobId);
        }

        var result = await store.ApplyAsync(change);
        activity?.SetTag("ccapi.job.outcome", result.Outcome.ToString());
        activity?.SetTag("ccapi.job.state", result.State);
        if (result.Outcome == JobWriteOutcome.Applied)
        {
            LogApplied(logger, change.JobId, result.State);
            if (EnteredState(change, result))
            {
                CcapiTelemetry.Jobs.Add(1, JobStateTags(change, result.State!));
            }
        }

        // A record its terminal change created (every synchronous job: its only event is its outcome) was never watched.
        if (result.IsTerminal && (tracked || (result.Outcome == JobWriteOutcome.Applied && !result.Created)))
        {
            await store.UntrackAsync(change.JobId);
        }

        // Also when this event was ignored: if an earlier attempt wrote the final state but failed to enqueue the
        // delivery, its redelivery must still enqueue it. The delivery consumer claims the webhook, so a second
        // request for one already taken or done is dropped.
        if (result.WebhookDue)
        {
            await DeliverWebhookConsumer.EnqueueAsync(sender, change.JobId, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// An applied change that moved the job to its target state (the script ignores repeats and lower ranks); a progress
    /// report within "processing" is not a new state.
    /// </summary>
    public static bool EnteredState(JobChange change, JobWriteResult result) =>
        result.Outcome == JobWriteOutcome.Applied
        && change.Target is { } target
        && change.Progress is null
        && result.State == JobStates.Name(target);

    /// <summary><c>ccapi.jobs</c> attributes: the state and, when the change names it, the provider (never the job id).</summary>
    public static TagList JobStateTags(JobChange change, string state)
    {
        var tags = new TagList { { TelemetryAttributes.JobState, state } };
        var provider = change.Overwrite.Concat(change.Fill).FirstOrDefault(f => f.Key == JobFields.Provider).Value;
        if (!string.IsNullOrEmpty(provider))
        {
            tags.Add(TelemetryAttributes.ProviderName, provider);
        }

        return tags;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} is now {State}")]
    private static partial void LogApplied(ILogger logger, Guid jobId, string? state);
}
