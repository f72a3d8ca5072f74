using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;

namespace CCApi.Adapters.OpenAI;

public static class OpenAIAdapterServices
{
    /// <summary>The OpenAI adapter's own registrations: options, the pooled upstream HttpClient and the client on top of it.</summary>
    public static IHostApplicationBuilder AddOpenAIAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddProviderAdapter<OpenAIAdapterOptions>(OpenAIAdapterOptions.SectionName, OpenAIAdapterOptions.ApiKeyVariable, OpenAIAdapterOptions.BaseUrlVariable);

        builder.AddUpstreamHttpClient<OpenAIAdapterOptions>(OpenAIClient.HttpClientName, UpstreamHttpClient.Bearer);
        builder.Services.AddSingleton<OpenAIClient>();
        return builder;
    }
}
