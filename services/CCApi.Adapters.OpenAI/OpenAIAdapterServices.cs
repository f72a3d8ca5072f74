using System.Net;
using System.Net.Http.Headers;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.OpenAI;

public static class OpenAIAdapterServices
{
    /// <summary>The OpenAI adapter's own registrations: options, the pooled upstream HttpClient and the client on top of it.</summary>
    public static IHostApplicationBuilder AddOpenAIAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddProviderAdapter<OpenAIAdapterOptions>(OpenAIAdapterOptions.SectionName, OpenAIAdapterOptions.ApiKeyVariable, OpenAIAdapterOptions.BaseUrlVariable);

        builder.Services.AddHttpClient(OpenAIClient.HttpClientName, (sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<OpenAIAdapterOptions>>().Value;
                http.BaseAddress = new Uri(options.BaseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the UpstreamPipeline owns timeouts (per attempt, per stream read)
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
        builder.Services.AddSingleton<OpenAIClient>();
        return builder;
    }
}
