using System.Diagnostics;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using StackExchange.Redis;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// Answers a synchronous call on the Redis channel its gateway named in the command (<see cref="SynchronousReplies"/>),
/// rather than as a response through the broker. The PUBLISH goes on the connection that has just taken the job's result
/// for the result cache, so both travel in one round trip, in that order. Nobody listening (the gateway died) drops the
/// answer, as RabbitMQ drops a direct reply to a closed channel; Redis refusing the PUBLISH throws, and the message is
/// retried like any other failure.
/// </summary>
public sealed class SynchronousReplyPublisher(IConnectionMultiplexer redis)
{
    /// <summary>False when the command names no channel (or not one of ours): answer it on the bus.</summary>
    public async Task<bool> TryReplyAsync(ConsumeContext context, object outcome)
    {
        ArgumentNullException.ThrowIfNull(context);
        var channel = context.Headers.Get<string>(SynchronousReplies.ChannelHeader);
        if (context.RequestId is not { } requestId || !SynchronousReplies.IsChannelName(channel))
        {
            return false;
        }

        using var activity = CcapiTelemetry.Source.StartActivity(SynchronousReplies.PublishSpanName, ActivityKind.Producer);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.destination.name", channel);
        await redis.GetDatabase().PublishAsync(SynchronousReplies.Channel(channel!), SynchronousReplies.Format(requestId, outcome, outcome is JobFailed));
        return true;
    }
}
