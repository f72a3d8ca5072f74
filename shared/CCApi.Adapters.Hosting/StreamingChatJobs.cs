using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// What every streaming chat consumer shares around the job's Redis stream (<see cref="ChatStreams"/>): handling a
/// redelivered command whose stream an earlier delivery already wrote, ending a stream with its outcome or an error.
/// </summary>
public sealed partial class StreamingChatJobs(
    ChatStreams streams, IConnectionMultiplexer redis, SynchronousOutcomePublisher outcomes, ILogger<StreamingChatJobs> logger)
{
    /// <summary>
    /// Ends a stream that completed (its last entries — usage, done — already appended): JobStatus' copy of the outcome
    /// goes out with the synchronous jobs' (<see cref="SynchronousOutcomePublisher"/>, transient, many to a message), since
    /// the stream's reader has the result already — it is the record for the reservation sweeper and operators, not a
    /// result anyone waits on.
    /// </summary>
    public Task CompletedAsync(ConsumeContext<ChatCompletion> context, ChatCompleted outcome)
    {
        ArgumentNullException.ThrowIfNull(context);
        return outcomes.AddAsync(outcome, context.CancellationToken);
    }

    /// <summary>
    /// At-least-once delivery: if a delivery that may repeat one that ran (<see cref="AdapterJobRunner.MayBeRepeated"/>)
    /// finds entries in this job's stream, a previous delivery produced them. A finished
    /// stream is left alone and its outcome republished (<paramref name="completed"/>; nothing when it returns null); a
    /// failed one republishes its error; a stream cut off mid-way is ended with <paramref name="interrupted"/> rather than
    /// continued with duplicated chunks (and the provider is not called — or paid — twice). True when it was a redelivery.
    /// </summary>
    public async Task<bool> HandleRedeliveryAsync(ConsumeContext<ChatCompletion> context, ProviderCall call, Func<Task<ChatCompleted?>> completed, ErrorInfo interrupted)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(completed);
        if (!AdapterJobRunner.MayBeRepeated(context))
        {
            return false; // a first delivery: nothing wrote this job's stream yet (and the first token waits for no look)
        }

        var command = context.Message;
        var length = await redis.GetDatabase().StreamLengthAsync(RedisKeys.JobStream(command.JobId));
        if (length == 0)
        {
            return false;
        }

        LogRedelivered(logger, command.JobId, length);
        ChatStreamDelta? terminal = null;
        try
        {
            await foreach (var (_, delta) in streams.ReadAsync(command.JobId, null, TimeSpan.Zero, context.CancellationToken))
            {
                if (delta.Done || delta.Error is not null)
                {
                    terminal = delta;
                }
            }
        }
        catch (TimeoutException)
        {
            // no terminal entry: the earlier delivery died mid-stream
        }

        switch (terminal)
        {
            case { Error: { } error }:
                await context.Publish(AdapterOutcomes.Failed(command, command.Route, JobKind.Chat, error), context.CancellationToken);
                break;
            case { Done: true }:
                if (await completed() is { } outcome)
                {
                    await context.Publish(outcome, context.CancellationToken);
                }

                break;
            default:
                await FailAsync(context, call, interrupted);
                break;
        }

        return true;
    }

    /// <summary>
    /// The channel of the gateway process that reads the stream, when its command named one: every append notifies it too
    /// (<see cref="ChatStreams.AppendAsync(Guid, IReadOnlyList{ChatStreamDelta}, string?)"/>), so its reader needs no
    /// subscription of its own.
    /// </summary>
    public static string? GatewayChannel(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Headers.Get<string>(SynchronousReplies.ChannelHeader);
    }

    /// <summary>Ends the job's stream with an error entry (terminal for the reader) and publishes the job as failed.</summary>
    public async Task FailAsync(ConsumeContext<ChatCompletion> context, ProviderCall call, ErrorInfo error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(call);
        await streams.AppendAsync(context.Message.JobId, new ChatStreamDelta { Error = error }, GatewayChannel(context));
        call.Failed(error);
        await context.Publish(AdapterOutcomes.Failed(context.Message, context.Message.Route, JobKind.Chat, error), context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Streaming chat job {JobId} redelivered; its stream already has {Entries} entries")]
    private static partial void LogRedelivered(ILogger logger, Guid jobId, long entries);
}
