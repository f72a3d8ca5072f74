using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CCApi.Adapters.OpenAI;

public static class OpenAIAdapterServices
{
    /// <summary>The OpenAI adapter's own registrations: options, the pooled upstream HttpClient and the client on top of it.</summary>
    public static IHostApplicationBuilder AddOpenAIAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddUpstreamAdapter<OpenAIAdapterOptions>(OpenAIAdapterOptions.SectionName, OpenAIAdapterOptions.ApiKeyVariable, OpenAIAdapterOptions.BaseUrlVariable, new OpenAIAdapterOptionsValidator());

        builder.AddUpstreamHttpClient<OpenAIAdapterOptions>(OpenAIClient.HttpClientName, UpstreamHttpClient.Bearer);
        builder.Services.AddSingleton<OpenAIClient>();
        builder.Services.TryAddSingleton<ImageInputs>(); // edits: input images from the blob store or a guarded URL
        return builder;
    }
}
