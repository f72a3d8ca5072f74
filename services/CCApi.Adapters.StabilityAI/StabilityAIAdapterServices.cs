using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI.Upstream;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CCApi.Adapters.StabilityAI;

public static class StabilityAIAdapterServices
{
    /// <summary>The Stability AI adapter's own registrations: options, the pooled upstream HttpClient, the client, input loading.</summary>
    public static IHostApplicationBuilder AddStabilityAIAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddUpstreamAdapter<StabilityAIAdapterOptions>(StabilityAIAdapterOptions.SectionName, StabilityAIAdapterOptions.ApiKeyVariable, StabilityAIAdapterOptions.BaseUrlVariable, new StabilityAIAdapterOptionsValidator());

        builder.AddUpstreamHttpClient<StabilityAIAdapterOptions>(StabilityAIClient.HttpClientName, UpstreamHttpClient.Bearer);
        builder.Services.AddSingleton<StabilityAIClient>();
        builder.Services.TryAddSingleton<ImageInputs>();
        return builder;
    }
}
