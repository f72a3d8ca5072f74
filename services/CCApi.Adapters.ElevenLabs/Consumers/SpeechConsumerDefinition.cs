using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.ElevenLabs.Consumers;

/// <summary>Consumes "{provider}-speech" (send-only) with the configured concurrency; upstream retries live in the UpstreamPipeline.</summary>
public sealed class SpeechConsumerDefinition : ConsumerDefinition<SpeechConsumer>
{
    private readonly int _limit;

    public SpeechConsumerDefinition(ProviderAdapterOptions options)
    {
        EndpointName = Queues.For(options.Provider, JobKind.Speech);
        ConcurrentMessageLimit = _limit = options.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<SpeechConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
