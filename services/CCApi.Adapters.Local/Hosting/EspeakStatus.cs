using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local.Audio;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Hosting;

/// <summary>
/// What the local provider's heartbeat depends on: without espeak-ng it is "degraded" (chat and images still work,
/// speech does not). Looks the program up on disk at each heartbeat, so installing it heals the provider without a restart.
/// </summary>
public sealed class EspeakStatus(IOptions<LocalAdapterOptions> options) : IProviderStatusSource
{
    public ProviderStatus? Problem() => ExternalTool.Exists(options.Value.EspeakPath)
        ? null
        : new ProviderStatus(ProviderHealth.Degraded, "espeak-ng is not installed: speech synthesis is unavailable.");
}
