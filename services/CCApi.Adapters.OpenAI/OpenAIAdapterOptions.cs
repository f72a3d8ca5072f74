using CCApi.Adapters.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.OpenAI;

/// <summary>
/// Configuration of the OpenAI adapter (section "OpenAI"), validated at start. The API key also comes from
/// OPENAI_API_KEY and the base URL from OPENAI_BASE_URL. Any OpenAI-compatible server works; several upstreams run
/// side by side as several processes with different <see cref="UpstreamAdapterOptions.Provider"/> names, each a
/// provider in the catalog.
/// </summary>
public sealed class OpenAIAdapterOptions() : UpstreamAdapterOptions("openai", PublicBaseUrl)
{
    public const string SectionName = "OpenAI";
    public const string ApiKeyVariable = "OPENAI_API_KEY";
    public const string BaseUrlVariable = "OPENAI_BASE_URL";
    public const string PublicBaseUrl = "https://api.openai.com/v1";
}

/// <summary>Checks <see cref="OpenAIAdapterOptions"/>'s attributes (its base classes' too) at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class OpenAIAdapterOptionsValidator : IValidateOptions<OpenAIAdapterOptions>;
