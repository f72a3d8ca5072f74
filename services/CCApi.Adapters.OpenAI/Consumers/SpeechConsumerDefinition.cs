using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>Consumes "{provider}-speech" (send-only) with the configured concurrency; upstream retries live in the UpstreamPipeline.</summary>
public sealed class SpeechConsumerDefinition(AdapterOptions options) : ProviderConsumerDefinition<SpeechConsumer>(options, JobKind.Speech);
