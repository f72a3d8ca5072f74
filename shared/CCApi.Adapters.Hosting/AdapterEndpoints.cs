using CCApi.Contracts;
using MassTransit;
using StackExchange.Redis;

namespace CCApi.Adapters.Hosting;

/// <summary>What every provider adapter's receive endpoint shares.</summary>
public static class AdapterEndpoints
{
    public static void Configure(IReceiveEndpointConfigurator endpoint, int concurrencyLimit)
    {
        // Commands are SENT to this provider's queue; never bind it to the command's publish exchange, or a published
        // command would reach every provider's adapter.
        endpoint.ConfigureConsumeTopology = false;

        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = concurrencyLimit; // hold no more than can run: the rest stay queued for other replicas
        }

        // Upstream failures are retried by the UpstreamPipeline (with the provider's own policy) and end as JobFailed;
        // retrying the whole message would call the provider again. Only a Redis hiccup is worth a quick redelivery.
        endpoint.UseMessageRetry(r =>
        {
            r.Interval(3, TimeSpan.FromMilliseconds(200));
            r.Handle<RedisConnectionException>();
            r.Handle<RedisTimeoutException>();
        });
    }
}

/// <summary>
/// The definition of a provider adapter's consumer: it consumes "{provider}-{kind}" (from the adapter's options) with
/// the configured concurrency as both message limit and prefetch, and the shared endpoint policy
/// (<see cref="AdapterEndpoints.Configure"/>). Each adapter derives one sealed definition per consumer.
/// </summary>
public abstract class ProviderConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly int _limit;

    protected ProviderConsumerDefinition(ProviderAdapterOptions options, JobKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = Queues.For(options.Provider, kind);
        ConcurrentMessageLimit = _limit = options.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
