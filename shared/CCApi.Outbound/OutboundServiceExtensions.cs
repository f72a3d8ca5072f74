using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CCApi.Outbound;

public static class OutboundServiceExtensions
{
    /// <summary>
    /// The <see cref="OutboundUrlGuard"/>, its options (<c>OutboundUrls</c>, validated at start) and the named HttpClient
    /// whose handler checks every address it connects to. Called by the adapter kit and by JobStatus: the services
    /// that fetch or post to URLs users give.
    /// </summary>
    public static IHostApplicationBuilder AddOutboundUrlGuard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboundUrlOptions>().BindConfiguration(OutboundUrlOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<OutboundUrlGuard>();
        builder.Services.AddHttpClient(OutboundUrlGuard.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundUrlGuard>().CreateHandler());
        return builder;
    }
}
