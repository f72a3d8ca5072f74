using CCApi.Adapters.Local.Hosting;
using CCApi.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>Consumes "{provider}-chat" with the configured concurrency and a short retry for transient faults.</summary>
public sealed class ChatCompletionConsumerDefinition : ConsumerDefinition<ChatCompletionConsumer>
{
    private readonly int _limit;

    public ChatCompletionConsumerDefinition(IOptions<LocalAdapterOptions> options)
    {
        EndpointName = Queues.For(options.Value.Provider, JobKind.Chat);
        ConcurrentMessageLimit = _limit = options.Value.ChatConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ChatCompletionConsumer> consumerConfigurator, IRegistrationContext context) =>
        AdapterEndpoints.Configure(endpointConfigurator, _limit);
}
