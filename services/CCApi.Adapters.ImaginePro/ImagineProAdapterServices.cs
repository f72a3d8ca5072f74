using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro.Jobs;
using CCApi.Adapters.ImaginePro.Upstream;
using CCApi.Storage;

namespace CCApi.Adapters.ImaginePro;

public static class ImagineProAdapterServices
{
    /// <summary>
    /// The ImaginePro adapter's own registrations: options (with the shared provider machinery), the pooled upstream
    /// HttpClient and the client on top of it, the task store, and the signer for uploaded input images.
    /// </summary>
    public static IHostApplicationBuilder AddImagineProAdapterServices(this IHostApplicationBuilder builder)
    {
        builder.AddUpstreamAdapter<ImagineProAdapterOptions>(ImagineProAdapterOptions.SectionName, ImagineProAdapterOptions.ApiKeyVariable, ImagineProAdapterOptions.BaseUrlVariable, new ImagineProAdapterOptionsValidator());
        builder.Services.AddOptions<ImagineProAdapterOptions>()
            .Validate(o => o.PollMaxInterval >= o.PollInitialInterval, $"{ImagineProAdapterOptions.SectionName}:PollMaxInterval must not be shorter than PollInitialInterval.")
            .Validate(o => o.PollMaxInterval < o.MaxPollDuration, $"{ImagineProAdapterOptions.SectionName}:PollMaxInterval must be shorter than MaxPollDuration.");

        builder.Services.AddBlobUrls(required: false); // only uploaded input images need it: set both or neither

        builder.AddUpstreamHttpClient<ImagineProAdapterOptions>(ImagineProClient.HttpClientName, UpstreamHttpClient.Bearer);
        builder.Services.AddSingleton<ImagineProClient>();
        builder.Services.AddSingleton<ImagineProTaskStore>();
        builder.Services.AddSingleton<InputImageUrls>();
        builder.Services.AddSingleton<ImagineProJob>();
        return builder;
    }
}
