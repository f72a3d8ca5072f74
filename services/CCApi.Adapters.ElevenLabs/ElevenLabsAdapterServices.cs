using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Adapters.Hosting;

namespace CCApi.Adapters.ElevenLabs;

public static class ElevenLabsAdapterServices
{
    /// <summary>The ElevenLabs adapter's own registrations: options, the pooled upstream HttpClient, the voice directory and the client.</summary>
    public static IHostApplicationBuilder AddElevenLabsAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddUpstreamAdapter<ElevenLabsAdapterOptions>(ElevenLabsAdapterOptions.SectionName, ElevenLabsAdapterOptions.ApiKeyVariable, ElevenLabsAdapterOptions.BaseUrlVariable, new ElevenLabsAdapterOptionsValidator());

        builder.AddUpstreamHttpClient<ElevenLabsAdapterOptions>(ElevenLabsClient.HttpClientName, static (headers, key) => headers.TryAddWithoutValidation(ElevenLabsClient.ApiKeyHeader, key));
        builder.Services.AddSingleton<VoiceDirectory>();
        builder.Services.AddSingleton<ElevenLabsClient>();
        return builder;
    }
}
