using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Hosting;

public static class UpstreamHttpClient
{
    /// <summary>
    /// The provider's pooled HttpClient, named <paramref name="name"/>: the options' base URL, no HttpClient timeout (the
    /// <see cref="UpstreamPipeline"/> owns timeouts, per attempt and per stream read), never a proxy, connections recycled
    /// every 5 minutes (DNS changes), any compression. <paramref name="authenticate"/> puts the key in the provider's auth
    /// header, only when a key is set (without one the pipeline answers 503 before any call). Without the factory's
    /// logging handlers: they only write "Start/End processing HTTP request" at Information, below the level every upstream
    /// adapter's appsettings sets for System.Net.Http.HttpClient, yet open a log scope per call on the hot path; the pipeline logs every upstream failure itself.
    /// </summary>
    public static IHostApplicationBuilder AddUpstreamHttpClient<TOptions>(this IHostApplicationBuilder builder, string name, Action<HttpRequestHeaders, string> authenticate)
        where TOptions : UpstreamAdapterOptions
    {
        builder.Services.AddHttpClient(name, (sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<TOptions>>().Value;
                http.BaseAddress = new Uri(options.BaseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan;
                if (options.HasApiKey)
                {
                    authenticate(http.DefaultRequestHeaders, options.ApiKey!);
                }
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.All,
                UseProxy = false,
            })
            .RemoveAllLoggers();
        return builder;
    }

    /// <summary>"Authorization: Bearer &lt;key&gt;", what most providers take.</summary>
    public static void Bearer(HttpRequestHeaders headers, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(headers);
        headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }
}
