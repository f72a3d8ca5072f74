using System.Net;
using System.Net.Http.Headers;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI.Upstream;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.StabilityAI;

public static class StabilityAIAdapterServices
{
    /// <summary>The Stability AI adapter's own registrations: options, the pooled upstream HttpClient, the client, input loading.</summary>
    public static IHostApplicationBuilder AddStabilityAIAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddProviderAdapter<StabilityAIAdapterOptions>(StabilityAIAdapterOptions.SectionName, StabilityAIAdapterOptions.ApiKeyVariable, StabilityAIAdapterOptions.BaseUrlVariable);

        builder.Services.AddHttpClient(StabilityAIClient.HttpClientName, (sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<StabilityAIAdapterOptions>>().Value;
                http.BaseAddress = new Uri(options.BaseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the UpstreamPipeline owns timeouts (per attempt)
                if (options.HasApiKey)
                {
                    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
                }
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.All,
                UseProxy = false,
            });
        builder.Services.AddSingleton<StabilityAIClient>();
        builder.Services.TryAddSingleton<ImageInputs>();
        return builder;
    }
}
