using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>Consumes "{provider}-speech" (send-only) with LocalAdapter:SpeechConcurrencyLimit and the shared endpoint policy.</summary>
public sealed class SpeechConsumerDefinition(AdapterOptions options) : ProviderConsumerDefinition<SpeechConsumer>(options, JobKind.Speech);
