using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// How a job ends, the same way in every adapter: a synchronous caller (the command came as a request) gets the outcome
/// as the response, and JobStatus ALWAYS gets the outcome too (see <see cref="FinishAsync{T}"/>).
/// </summary>
public static class AdapterOutcomes
{
    /// <summary>
    /// Ends the job. An asynchronous job (no response address) ends with its event alone, so the event is persistent and
    /// published with a publisher confirm: it is the job's result. A synchronous caller gets the outcome as the response,
    /// without waiting for a publisher confirm — the gateway that waits for it answers 504 and publishes the job's
    /// failure itself if the broker lost it — and JobStatus' copy goes to <paramref name="outcomes"/>, which publishes
    /// many of them in one transient message: a confirm, a disk write or a message of its own per synchronous call would
    /// only add broker work to every call for a record nobody waits on. A synchronous job JobStatus registered
    /// (<see cref="IJobCommand.Registered"/>: its webhook is delivered from the record) gets both: the response, then the
    /// persistent event, since a record that may never end would leave the webhook undelivered; a failed publish faults the
    /// message, and its redelivery answers from the result cache and publishes again. The answer goes on the Redis channel
    /// the gateway named (<see cref="SynchronousReplyPublisher"/>), or as a response on the bus when it named none;
    /// <paramref name="json"/> is the outcome's JSON when the caller has made it already (for its result cache).
    /// </summary>
    public static async Task FinishAsync<T>(
        ConsumeContext context, IJobCommand command, T outcome, SynchronousOutcomePublisher outcomes, SynchronousReplyPublisher replies, byte[]? json = null)
        where T : class, IJobMessage
    {
        ArgumentNullException.ThrowIfNull(replies);
        if (context.ResponseAddress is null)
        {
            await context.Publish(outcome, context.CancellationToken);
            return;
        }

        if (!await replies.TryReplyAsync(context.RequestId, context.Headers.Get<string>(SynchronousReplies.ChannelHeader), outcome, json))
        {
            await context.RespondAsync(outcome, static send => send.TrySetAwaitAck(false));
        }

        if (command.Registered)
        {
            await context.Publish(outcome, context.CancellationToken);
            return;
        }

        await outcomes.AddAsync(outcome, context.CancellationToken);
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
    /// <summary>
    /// Per million input/output tokens, per image, per character; zero where the catalog has no price. Of the prompt tokens,
    /// the <paramref name="cachedPromptTokens"/> the provider served from its prompt cache are priced at the catalog's
    /// cached-input price when it has one; <paramref name="reasoningTokens"/> are part of the completion tokens (reported, not
    /// priced apart).
    /// </summary>
    public static Usage Price(JobRoute route, int promptTokens = 0, int completionTokens = 0, int images = 0, int characters = 0,
        int cachedPromptTokens = 0, int reasoningTokens = 0)
    {
        var pricing = route.Pricing;
        var cached = Math.Clamp(cachedPromptTokens, 0, Math.Max(promptTokens, 0));
        var input = pricing?.InputPerMillion ?? 0m;
        var cost = ((promptTokens - cached) * input / 1_000_000m)
            + (cached * (pricing?.CachedInputPerMillion ?? input) / 1_000_000m)
            + (completionTokens * (pricing?.OutputPerMillion ?? 0m) / 1_000_000m)
            + (images * (pricing?.PerImage ?? 0m))
            + (characters * (pricing?.PerCharacter ?? 0m));
        return new Usage
        {
            PromptTokens = promptTokens,
            CachedPromptTokens = cached,
            CompletionTokens = completionTokens,
            ReasoningTokens = Math.Clamp(reasoningTokens, 0, Math.Max(completionTokens, 0)),
            TotalTokens = promptTokens + completionTokens,
            Images = images,
            Characters = characters,
            Cost = cost,
            Currency = pricing?.Currency ?? "USD",
        };
    }
}
