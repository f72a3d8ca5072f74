using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The definition of a provider adapter's consumer: it consumes "{provider}-{kind}" (from the adapter's options) with
/// the kind's concurrency (<see cref="AdapterOptions.ConcurrencyFor"/>) as both message limit and prefetch, and the
/// shared endpoint policy (<see cref="AdapterEndpoints.Configure"/>). Each adapter derives one sealed one-line
/// definition per consumer.
/// </summary>
public abstract class ProviderConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly int _limit;

    protected ProviderConsumerDefinition(AdapterOptions options, JobKind kind)
        : this(Queues.For(Provider(options), kind), options.ConcurrencyFor(kind))
    {
    }

    /// <summary>A queue of the adapter's other than "{provider}-{kind}" (<see cref="AsyncImageConsumerDefinition{TConsumer}"/>).</summary>
    protected ProviderConsumerDefinition(string queue, int concurrencyLimit)
    {
        EndpointName = queue;
        ConcurrentMessageLimit = _limit = concurrencyLimit;
    }

    private protected static string Provider(AdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
