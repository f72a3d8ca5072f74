using CCApi.Messaging;
using RabbitMQ.Client;

namespace CCApi.Gateway.Consumers;

/// <summary>
/// Deletes, once at start, the queue the settlement consumer had before it was renamed
/// <see cref="CreditSettlementConsumerDefinition.QueueName"/>: a broker keeps a queue and its bindings, so on a broker
/// upgraded from that version "gateway-settlement" went on collecting every chat, speech and image outcome with nobody
/// reading it — without end, and since a synchronous call's outcome is transient, in the broker's memory. Absent is the
/// normal case (deleting an absent queue is a no-op); a failure is logged and changes nothing else.
/// </summary>
public sealed partial class LegacySettlementQueue(IOptions<MessagingOptions> options, ILogger<LegacySettlementQueue> logger) : BackgroundService
{
    public const string QueueName = "gateway-settlement";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Transport != "rabbitmq")
        {
            return;
        }

        try
        {
            var dropped = await DeleteAsync(AmqpAddress.Parse(options.Value.ConnectionString), QueueName, stoppingToken);
            if (dropped > 0)
            {
                LogDeleted(logger, QueueName, dropped); // absent or empty (every start after the first) is not news
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Whatever it is (broker away, no permission on the queue, …): a one-off cleanup never stops the gateway.
            LogFailed(logger, QueueName, ex);
        }
    }

    /// <summary>
    /// Deletes <paramref name="queue"/> if it exists; answers how many messages it still held (0 when it did not exist).
    /// The name is a parameter so a test can exercise this on a queue no gateway starting beside it will delete first.
    /// </summary>
    public static async Task<uint> DeleteAsync(AmqpAddress address, string queue, CancellationToken cancellationToken)
    {
        var factory = address.ConnectionFactory("ccapi-gateway-legacy-queue");
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        return await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the obsolete queue {Queue} and the {Messages} messages nobody read in it")]
    private static partial void LogDeleted(ILogger logger, string queue, uint messages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the obsolete queue {Queue}; delete it by hand (rabbitmqctl delete_queue)")]
    private static partial void LogFailed(ILogger logger, string queue, Exception exception);
}
