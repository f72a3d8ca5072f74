using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>Consumes "{provider}-chat" (send-only) with the configured concurrency; upstream retries live in the UpstreamPipeline.</summary>
public sealed class ChatCompletionConsumerDefinition : ConsumerDefinition<ChatCompletionConsumer>
{
    private readonly int _limit;

    public ChatCompletionConsumerDefinition(ProviderAdapterOptions options)
    {
        EndpointName = Queues.For(options.Provider, JobKind.Chat);
        ConcurrentMessageLimit = _limit = options.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ChatCompletionConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
