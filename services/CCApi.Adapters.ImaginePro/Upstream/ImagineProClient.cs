using System.Net.Http.Headers;
using CCApi.Adapters.Hosting;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.Adapters.ImaginePro.Upstream;

/// <summary>An image downloaded from the provider's CDN, with its sniffed content type.</summary>
public sealed record DownloadedImage(byte[] Bytes, string ContentType);

/// <summary>
/// ImaginePro's HTTP API: POST /api/v1/universal/imagine (submit) and GET /api/v1/message/fetch/{messageId} (poll), both
/// through the provider's <see cref="UpstreamPipeline"/> (key check, per-attempt timeout, retries, circuit breaker); the
/// finished images are downloaded from the URLs the provider returned through <see cref="OutboundUrlGuard"/> only.
/// </summary>
public sealed class ImagineProClient(IHttpClientFactory httpClientFactory, UpstreamPipeline pipeline, UpstreamAdapterOptions options, OutboundUrlGuard urlGuard)
{
    public const string HttpClientName = "imaginepro-upstream";
    public const string SubmitPath = "api/v1/universal/imagine";
    public const string FetchPath = "api/v1/message/fetch/";

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    private string Provider => options.Provider;

    private HttpClient Http => httpClientFactory.CreateClient(HttpClientName);

    /// <summary>Submits one generation; returns its message id.</summary>
    public async Task<string> SubmitAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var response = await pipeline.SendAsync(Http, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, SubmitPath) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = JsonContentType;
            request.Headers.Accept.Add(AcceptJson);
            return request;
        }, streaming: false, cancellationToken, ImagineProWire.ParseError);
        return ImagineProWire.ReadSubmit(await ReadBytesAsync(response, cancellationToken), Provider);
    }

    /// <summary>One poll of a submitted generation.</summary>
    public async Task<MessageStatus> FetchAsync(string messageId, CancellationToken cancellationToken)
    {
        using var response = await pipeline.SendAsync(Http, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, FetchPath + Uri.EscapeDataString(messageId));
            request.Headers.Accept.Add(AcceptJson);
            return request;
        }, streaming: false, cancellationToken, ImagineProWire.ParseError);
        return ImagineProWire.ReadMessage(await ReadBytesAsync(response, cancellationToken), messageId, Provider);
    }

    /// <summary>Downloads a result image (a provider URL: fetched through the SSRF guard, size and time bounded).</summary>
    public async Task<DownloadedImage> DownloadAsync(string url, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            (bytes, _) = await urlGuard.FetchAsync(url, cancellationToken);
        }
        catch (Exception ex) when (ex is OutboundUrlException or HttpRequestException or IOException or TimeoutException)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(Provider, "the image URL it returned could not be fetched"), ex);
        }

        var contentType = ImageBytes.SniffGenerated(bytes) ?? throw new UpstreamException(UpstreamErrors.Malformed(Provider, "the image is not PNG, JPEG or WebP"));
        return new DownloadedImage(bytes, contentType);
    }

    private async Task<byte[]> ReadBytesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider), ex);
        }
    }
}
