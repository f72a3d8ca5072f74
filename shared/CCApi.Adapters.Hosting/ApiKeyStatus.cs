namespace CCApi.Adapters.Hosting;

/// <summary>An upstream adapter without an API key still runs, but the provider is "unavailable" (every job answers 503).</summary>
public sealed class ApiKeyStatus(UpstreamAdapterOptions options) : IProviderStatusSource
{
    public ProviderStatus? Problem() => options.HasApiKey
        ? null
        : new ProviderStatus(ProviderHealth.Unavailable, $"No API key is configured for provider '{options.Provider}'.");
}
