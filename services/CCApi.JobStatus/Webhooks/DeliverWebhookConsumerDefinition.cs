using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// Its own queue with a concurrency limit, so deliveries (which may wait out backoff) never starve job events. HTTP
/// retries belong to the sender; the bus retries only Redis hiccups, so a receiver is not hit again by a replay.
/// </summary>
public sealed class DeliverWebhookConsumerDefinition : ConsumerDefinition<DeliverWebhookConsumer>
{
    public DeliverWebhookConsumerDefinition(IOptions<WebhookOptions> options)
    {
        EndpointName = DeliverWebhookConsumer.QueueName;
        ConcurrentMessageLimit = options.Value.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<DeliverWebhookConsumer> consumerConfigurator, IRegistrationContext context)
    {
        consumerConfigurator.UseMessageRetry(r =>
        {
            r.Handle<RedisException>();
            r.Handle<TimeoutException>();
            r.Intervals(500, 2000, 5000);
        });
    }
}
