using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// How a job ends, the same way in every adapter: a synchronous caller (the command came as a request) gets the outcome
/// as the response, and the outcome is ALWAYS published too, for JobStatus.
/// </summary>
public static class AdapterOutcomes
{
    /// <summary>
    /// Responds (when the command was a request) without waiting for the broker's publisher confirm, then publishes the
    /// outcome with one. The response goes to the waiting gateway's temporary queue: a confirm would add a broker round
    /// trip to every synchronous call and guarantee nothing the job needs — if the broker loses the response, the gateway
    /// answers 504 and the confirmed event still ends the job (its record, its settlement).
    /// </summary>
    public static async Task FinishAsync<T>(ConsumeContext context, T outcome)
        where T : class
    {
        if (context.ResponseAddress is not null)
        {
            await context.RespondAsync(outcome, static send => send.TrySetAwaitAck(false));
        }

        await context.Publish(outcome, context.CancellationToken);
    }

    public static JobFailed Failed(IJobMessage command, JobRoute route, JobKind kind, ErrorInfo error) => new()
    {
        JobId = command.JobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = route,
        Kind = kind,
        Error = error,
    };

    public static bool IsPastDeadline(DateTimeOffset? deadline) => deadline is { } d && d <= DateTimeOffset.UtcNow;

    /// <summary>
    /// A token that fires when the consumer is canceled or the command's deadline passes (work past it is wasted).
    /// </summary>
    public static CancellationTokenSource DeadlineToken(DateTimeOffset? deadline, CancellationToken consumer)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(consumer);
        if (deadline is { } d)
        {
            var left = d - DateTimeOffset.UtcNow;
            cts.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        return cts;
    }
}

/// <summary>Usage priced with the catalog price the command carries (<see cref="JobRoute.Pricing"/>).</summary>
public static class UsagePricing
{
    /// <summary>Per million input/output tokens, per image, per character; zero where the catalog has no price.</summary>
    public static Usage Price(JobRoute route, int promptTokens = 0, int completionTokens = 0, int images = 0, int characters = 0)
    {
        var pricing = route.Pricing;
        var cost = (promptTokens * (pricing?.InputPerMillion ?? 0m) / 1_000_000m)
            + (completionTokens * (pricing?.OutputPerMillion ?? 0m) / 1_000_000m)
            + (images * (pricing?.PerImage ?? 0m))
            + (characters * (pricing?.PerCharacter ?? 0m));
        return new Usage
        {
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            TotalTokens = promptTokens + completionTokens,
            Images = images,
            Characters = characters,
            Cost = cost,
            Currency = pricing?.Currency ?? "USD",
        };
    }
}
