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
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = Queues.For(options.Provider, kind);
        ConcurrentMessageLimit = _limit = options.ConcurrencyFor(kind);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
