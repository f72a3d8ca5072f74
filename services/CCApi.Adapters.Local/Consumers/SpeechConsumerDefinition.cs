using CCApi.Adapters.Local.Hosting;
using CCApi.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>Consumes "{provider}-speech" with the configured concurrency and a short retry for transient faults.</summary>
public sealed class SpeechConsumerDefinition : ConsumerDefinition<SpeechConsumer>
{
    private readonly int _limit;

    public SpeechConsumerDefinition(IOptions<LocalAdapterOptions> options)
    {
        EndpointName = Queues.For(options.Value.Provider, JobKind.Speech);
        ConcurrentMessageLimit = _limit = options.Value.SpeechConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<SpeechConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
