using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// Turns deliveries that have come due in <see cref="WebhookStore"/> (a scheduled retry, or an attempt whose replica
/// died) into <see cref="DeliverJobWebhook"/> messages. Safe on every replica at once: taking an entry pushes it back by
/// a lease, and the delivery's own claim drops duplicates.
/// </summary>
public sealed partial class WebhookRetryPoller(
    WebhookStore store, IBus bus, IOptions<WebhookOptions> options, ILogger<WebhookRetryPoller> logger)
    : BackgroundService
{
    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPollFailed(logger, ex); // Redis or the bus is down: the entries stay due, try again next tick
            }
        }
    }

    /// <summary>Sends a delivery message for every due entry; returns how many.</summary>
    public async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        var sent = 0;
        IReadOnlyList<Guid> due;
        do
        {
            due = await store.TakeDueAsync(BatchSize, options.Value.AttemptLease);
            foreach (var jobId in due)
            {
                await DeliverWebhookConsumer.EnqueueAsync(bus, jobId, cancellationToken);
                sent++;
            }
        }
        while (due.Count == BatchSize && !cancellationToken.IsCancellationRequested);

        return sent;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for due webhook retries failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
