using System.Net;
using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Adapters.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ElevenLabs;

public static class ElevenLabsAdapterServices
{
    /// <summary>The ElevenLabs adapter's own registrations: options, the pooled upstream HttpClient, the voice directory and the client.</summary>
    public static IHostApplicationBuilder AddElevenLabsAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddProviderAdapter<ElevenLabsAdapterOptions>(ElevenLabsAdapterOptions.SectionName, ElevenLabsAdapterOptions.ApiKeyVariable, ElevenLabsAdapterOptions.BaseUrlVariable);

        builder.Services.AddHttpClient(ElevenLabsClient.HttpClientName, (sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<ElevenLabsAdapterOptions>>().Value;
                http.BaseAddress = new Uri(options.BaseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the UpstreamPipeline owns timeouts (per attempt)
                if (options.HasApiKey)
                {
                    http.DefaultRequestHeaders.TryAddWithoutValidation(ElevenLabsClient.ApiKeyHeader, options.ApiKey);
                }
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.All,
                UseProxy = false,
            });
        builder.Services.AddSingleton<VoiceDirectory>();
        builder.Services.AddSingleton<ElevenLabsClient>();
        return builder;
    }
}
