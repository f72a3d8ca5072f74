using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.ImaginePro.Consumers;

/// <summary>
/// Consumes "{provider}-image" (send-only) with the configured concurrency. A job holds its message while it polls (up to
/// ImaginePro:MaxPollDuration), so ConcurrencyLimit is the number of generations in flight per replica; upstream retries
/// live in the UpstreamPipeline.
/// </summary>
public sealed class GenerateImageConsumerDefinition(AdapterOptions options) : ProviderConsumerDefinition<GenerateImageConsumer>(options, JobKind.Image);
