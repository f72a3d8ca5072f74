using CCApi.Gateway.Consumers;
using CCApi.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CCApi.Gateway.Tests;

/// <summary>The orphan queue of an upgraded broker, against the real RabbitMQ.</summary>
public sealed class LegacySettlementQueueTests
{
    [Fact]
    public async Task Removes_the_old_settlement_queue_with_what_it_collected_and_is_a_no_op_when_it_is_gone()
    {
        // Every gateway the other tests start deletes LegacySettlementQueue.QueueName on this same broker, so the test
        // plays the scenario on a queue of its own (CI once saw a gateway starting beside it delete the queue first).
        var queue = $"{LegacySettlementQueue.QueueName}-{Guid.NewGuid():N}";
        var address = AmqpAddress.Parse(TestInfrastructure.RabbitMq("gateway"));
        await using var connection = await address.ConnectionFactory("ccapi-tests").CreateConnectionAsync();
        await using (var channel = await connection.CreateChannelAsync())
        {
            // As the earlier gateway left it: durable, bound, holding outcomes nobody reads.
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes("{}"));
            await channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes("{}"));
        }

        (await LegacySettlementQueue.DeleteAsync(address, queue, CancellationToken.None)).ShouldBe(2u);

        await using (var channel = await connection.CreateChannelAsync())
        {
            await Should.ThrowAsync<OperationInterruptedException>(() => channel.QueueDeclarePassiveAsync(queue));
        }

        (await LegacySettlementQueue.DeleteAsync(address, queue, CancellationToken.None)).ShouldBe(0u);
    }
}
