using MassTransit;
using StackExchange.Redis;

namespace CCApi.Adapters.Local.Hosting;

/// <summary>What every local-adapter receive endpoint shares: prefetch matched to concurrency, retry for transient faults only.</summary>
public static class AdapterEndpoints
{
    public static void Configure(IReceiveEndpointConfigurator endpoint, int concurrencyLimit)
    {
        // Commands are SENT to this provider's queue; never bind it to the command's publish exchange, or a published
        // command would reach every provider's adapter.
        endpoint.ConfigureConsumeTopology = false;

        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = concurrencyLimit; // no more messages held than can run: the rest stay queued for other replicas
        }

        // Known input errors never reach here: consumers answer them with JobFailed. Only infrastructure hiccups are
        // retried (briefly); anything else faults at once, and Fault<T> ends the job as failed.
        endpoint.UseMessageRetry(r =>
        {
            r.Interval(3, TimeSpan.FromMilliseconds(200));
            r.Handle<RedisConnectionException>();
            r.Handle<TimeoutException>();
            r.Handle<IOException>();
            r.Handle<HttpRequestException>();
        });
    }
}
