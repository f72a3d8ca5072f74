using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>Consumes "{provider}-chat" (send-only) with LocalAdapter:ChatConcurrencyLimit and the shared endpoint policy.</summary>
public sealed class ChatCompletionConsumerDefinition(AdapterOptions options) : ProviderConsumerDefinition<ChatCompletionConsumer>(options, JobKind.Chat);
