using CCApi.Adapters.Local.Hosting;
using CCApi.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>Consumes "{provider}-image" with the configured concurrency and a short retry for transient faults.</summary>
public sealed class GenerateImageConsumerDefinition : ConsumerDefinition<GenerateImageConsumer>
{
    private readonly int _limit;

    public GenerateImageConsumerDefinition(IOptions<LocalAdapterOptions> options)
    {
        EndpointName = Queues.For(options.Value.Provider, JobKind.Image);
        ConcurrentMessageLimit = _limit = options.Value.ImageConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<GenerateImageConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
