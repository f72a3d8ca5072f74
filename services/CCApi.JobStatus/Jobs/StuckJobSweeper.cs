using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Jobs;

/// <summary>
/// The guarantee that every accepted job ends: a job still pending or processing <c>Jobs:StuckAfter</c> after it was
/// first seen (its adapter died, its command was lost or waits behind a backlog) is failed with a 504 timeout — through
/// the same script, so a job that finished meanwhile is left alone. The sweep that failed it then publishes
/// <see cref="JobCanceled"/>, as a won cancel does: an adapter still running the job (or about to start it) stops rather
/// than pay its provider for a result nobody can have, and the gateway releases the job's credit reservation at once — and,
/// settlement being once per job, a result that comes later anyway is never charged for a job its owner sees failed.
/// Safe to run on every replica at once.
/// </summary>
public sealed partial class StuckJobSweeper(
    JobStore store, JobUpdater updater, IBus bus, IOptions<JobsOptions> options, TimeProvider time, ILogger<StuckJobSweeper> logger)
    : BackgroundService
{
    private const int BatchSize = 100;
    private const int MaxBatchesPerSweep = 50;

    /// <summary>The <see cref="JobCanceled.Reason"/> of a job the sweeper failed.</summary>
    public const string TimedOutReason = "The job did not finish in time and was failed with a timeout.";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex); // Redis or the bus is down: try again next tick
            }
        }
    }

    /// <summary>Fails every overdue job; returns how many were failed by this call.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var failed = 0;
        for (var batch = 0; batch < MaxBatchesPerSweep; batch++)
        {
            var due = await store.OverdueAsync(BatchSize);
            if (due.Count == 0)
            {
                break;
            }

            using var activity = batch == 0 ? ServiceDefaults.CcapiTelemetry.Source.StartActivity("jobstatus sweep") : null;
            foreach (var jobId in due)
            {
                var now = time.GetUtcNow();
                var result = await updater.ApplyAsync(JobChanges.TimedOut(jobId, now, options.Value.StuckAfter), bus, cancellationToken);
                if (result.Outcome == JobWriteOutcome.Applied)
                {
                    failed++;
                    LogTimedOut(logger, jobId);
                    // After the write, so only the sweep that failed it publishes (JobStatus' own consumer changes nothing).
                    await bus.Publish(new JobCanceled { JobId = jobId, Timestamp = now, Reason = TimedOutReason }, cancellationToken);
                }
                else
                {
                    await store.UntrackAsync(jobId); // finished meanwhile, or expired: nothing to do
                }
            }

            activity?.SetTag("ccapi.jobs.failed", failed);
            if (due.Count < BatchSize)
            {
                break;
            }
        }

        return failed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} did not finish in time and was failed with a timeout")]
    private static partial void LogTimedOut(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping stuck jobs failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
