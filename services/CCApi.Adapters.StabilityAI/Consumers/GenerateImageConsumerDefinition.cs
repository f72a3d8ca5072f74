using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.StabilityAI.Consumers;

/// <summary>Consumes "{provider}-image" (send-only) with the configured concurrency; upstream retries live in the UpstreamPipeline.</summary>
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
