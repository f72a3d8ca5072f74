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
