using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

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
        builder.Services.AddOptions<OutboundUrlOptions>().BindConfiguration(OutboundUrlOptions.SectionName).ValidateOnStart();
        // Its attributes, checked by the source-generated validator (ServiceDefaults' ValidateAttributes, inline here).
        builder.Services.AddSingleton<IValidateOptions<OutboundUrlOptions>>(new OutboundUrlOptionsValidator());
        builder.Services.AddSingleton<OutboundUrlGuard>();
        builder.Services.AddHttpClient(OutboundUrlGuard.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundUrlGuard>().CreateHandler());
        return builder;
    }
}
