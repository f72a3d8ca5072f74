using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>Consumes "{provider}-chat" (send-only) with the configured concurrency; upstream retries live in the UpstreamPipeline.</summary>
public sealed class ChatCompletionConsumerDefinition(AdapterOptions options) : ProviderConsumerDefinition<ChatCompletionConsumer>(options, JobKind.Chat);
