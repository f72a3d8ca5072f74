namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// When the next attempt of a delivery happens: the configured delay for this retry with jitter, lengthened to the
/// receiver's <c>Retry-After</c> (bounded); none after the last attempt. Pure, so tests can check it without waiting.
/// </summary>
public static class WebhookSchedule
{
    /// <param name="delays">Delays before retries 1..n (attempts = n + 1).</param>
    /// <param name="attemptsMade">Attempts made so far in this series, the failed one included (1 after the first).</param>
    /// <param name="retryAfter">The receiver's Retry-After, if it sent one.</param>
    /// <param name="jitter">Relative jitter (0.1 = ±10%).</param>
    /// <param name="maxRetryAfter">The longest Retry-After honoured.</param>
    /// <param name="random">A value in [0, 1) (Random.Shared.NextDouble() in production).</param>
    /// <returns>The delay before the next attempt, or null when this was the last one.</returns>
    public static TimeSpan? NextDelay(IReadOnlyList<TimeSpan> delays, int attemptsMade, TimeSpan? retryAfter, double jitter, TimeSpan maxRetryAfter, double random)
    {
        if (attemptsMade < 1 || attemptsMade > delays.Count)
        {
            return null;
        }

        var delay = delays[attemptsMade - 1] * (1 + (jitter * ((2 * random) - 1)));
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked < maxRetryAfter ? asked : (maxRetryAfter > delay ? maxRetryAfter : delay);
        }

        return delay;
    }
}
