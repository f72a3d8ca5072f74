using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>Consumes "{provider}-image" (send-only) with the configured concurrency; upstream retries live in the UpstreamPipeline.</summary>
public sealed class GenerateImageConsumerDefinition(AdapterOptions options) : ProviderConsumerDefinition<GenerateImageConsumer>(options, JobKind.Image);
