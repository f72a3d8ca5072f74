using System.Diagnostics;
using CCApi.ServiceDefaults;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>
/// Answers a synchronous call on the Redis channel its gateway named in the command (<see cref="SynchronousReplies"/>),
/// rather than as a response through the broker: an adapter's outcome, JobStatus' <c>JobRegistered</c>. The PUBLISH goes
/// on the connection that has just taken the job's writes (an adapter's result cache, JobStatus' record), so it follows
/// them in order and usually in the same round trip. Nobody listening (the gateway died) drops the answer, as RabbitMQ
/// drops a direct reply to a closed channel; Redis refusing the PUBLISH throws, and the message is retried like any other
/// failure.
/// </summary>
public sealed class SynchronousReplyPublisher(IConnectionMultiplexer redis)
{
    /// <summary>
    /// False when the request names no channel, or not one of the platform's (<see cref="SynchronousReplies.IsChannelName"/>):
    /// answer it on the bus. <paramref name="channel"/> is the command's <see cref="SynchronousReplies.ChannelHeader"/>;
    /// <paramref name="json"/>, the outcome's JSON when the caller has already made it (<see cref="SynchronousReplies.Serialize"/>).
    /// </summary>
    public async Task<bool> TryReplyAsync(Guid? requestId, string? channel, object outcome, byte[]? json = null)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (requestId is not { } id || !SynchronousReplies.IsChannelName(channel))
        {
            return false;
        }

        using var activity = CcapiTelemetry.Source.StartActivity(SynchronousReplies.PublishSpanName, ActivityKind.Producer);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.destination.name", channel);
        await redis.GetDatabase().PublishAsync(SynchronousReplies.Channel(channel!), SynchronousReplies.Format(id, outcome, json ?? SynchronousReplies.Serialize(outcome)));
        return true;
    }
}
