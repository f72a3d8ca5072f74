using CCApi.Contracts;

namespace CCApi.Adapters.Hosting;

/// <summary>Consumes "{provider}-speech" (send-only) with the configured concurrency; upstream retries live in the UpstreamPipeline.</summary>
public sealed class ProviderSpeechConsumerDefinition<TProvider>(AdapterOptions options)
    : ProviderConsumerDefinition<ProviderSpeechConsumer<TProvider>>(options, JobKind.Speech)
    where TProvider : class, ISpeechProvider;
