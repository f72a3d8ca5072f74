using MassTransit;
using StackExchange.Redis;

namespace CCApi.Adapters.Hosting;

/// <summary>What every provider adapter's receive endpoint shares, the local adapter's included.</summary>
public static class AdapterEndpoints
{
    /// <summary>
    /// Send-only topology, prefetch matched to <paramref name="concurrencyLimit"/>, and the one message-retry policy of
    /// every adapter: only a Redis hiccup (connection lost, command timed out) is retried, three times 200 ms apart.
    /// Why no more: a consumer turns every failure it understands into JobFailed with the CCAPI error (the
    /// <see cref="AdapterJobRunner"/>: input errors, upstream answers, deadlines, cancellations), and upstream calls are
    /// already retried by the <see cref="UpstreamPipeline"/> with the provider's own policy; redelivering the whole
    /// message for a timeout, an I/O or an HTTP error would call — and pay — the provider again, or repeat work (the
    /// local adapter's rendering, synthesis) that failed for a reason a second run does not fix. Redis is different: the
    /// job's result cache, cancellation record, blobs and streams live there, a blip is brief, and a redelivery is
    /// answered from the result cache. Anything else faults at once, and Fault&lt;T&gt; ends the job as failed.
    /// </summary>
    public static void Configure(IReceiveEndpointConfigurator endpoint, int concurrencyLimit)
    {
        // Commands are SENT to this provider's queue; never bind it to the command's publish exchange, or a published
        // command would reach every provider's adapter.
        endpoint.ConfigureConsumeTopology = false;

        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = concurrencyLimit; // hold no more than can run: the rest stay queued for other replicas
        }

        endpoint.UseMessageRetry(r =>
        {
            r.Interval(3, TimeSpan.FromMilliseconds(200));
            r.Handle<RedisConnectionException>();
            r.Handle<RedisTimeoutException>();
        });
    }
}
