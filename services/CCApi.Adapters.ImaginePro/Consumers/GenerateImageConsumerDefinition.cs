using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.ImaginePro.Consumers;

/// <summary>
/// Consumes "{provider}-image" (send-only) with the configured concurrency. A job holds its message while it polls (up to
/// ImaginePro:MaxPollDuration), so ConcurrencyLimit is the number of generations in flight per replica; upstream retries
/// live in the UpstreamPipeline.
/// </summary>
public sealed class GenerateImageConsumerDefinition : ConsumerDefinition<GenerateImageConsumer>
{
    private readonly int _limit;

    public GenerateImageConsumerDefinition(ProviderAdapterOptions options)
    {
        EndpointName = Queues.For(options.Provider, JobKind.Image);
        ConcurrentMessageLimit = _limit = options.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<GenerateImageConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
