using CCApi.Adapters.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.StabilityAI;

/// <summary>
/// Configuration of the Stability AI adapter (section "StabilityAI"), validated at start. The API key also comes from
/// STABILITY_API_KEY and the base URL from STABILITY_BASE_URL (the names Stability's own examples use); the base URL
/// has no path: the adapter calls {base}/v1/generation/{engine_id}/….
/// </summary>
public sealed class StabilityAIAdapterOptions() : UpstreamAdapterOptions("stabilityai", PublicBaseUrl)
{
    public const string SectionName = "StabilityAI";
    public const string ApiKeyVariable = "STABILITY_API_KEY";
    public const string BaseUrlVariable = "STABILITY_BASE_URL";
    public const string PublicBaseUrl = "https://api.stability.ai";
}

/// <summary>Checks <see cref="StabilityAIAdapterOptions"/>'s attributes (its base classes' too) at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class StabilityAIAdapterOptionsValidator : IValidateOptions<StabilityAIAdapterOptions>;
