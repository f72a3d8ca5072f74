using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>Consumes "{provider}-image" (send-only) with LocalAdapter:ImageConcurrencyLimit and the shared endpoint policy.</summary>
public sealed class GenerateImageConsumerDefinition(AdapterOptions options) : ProviderConsumerDefinition<GenerateImageConsumer>(options, JobKind.Image);
