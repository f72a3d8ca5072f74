using System.Net.Http.Headers;
using CCApi.Adapters.Hosting;

namespace CCApi.Adapters.StabilityAI.Upstream;

/// <summary>
/// Stability AI's v1 generation API: POST v1/generation/{engine_id}/text-to-image (JSON), …/image-to-image and
/// …/image-to-image/masking (multipart/form-data), always with <c>Accept: application/json</c> (several images come back as base64 artifacts with
/// their seeds). Every call goes through the provider's <see cref="UpstreamPipeline"/> with Stability's error body.
/// </summary>
public sealed class StabilityAIClient(IHttpClientFactory httpClientFactory, UpstreamPipeline pipeline, UpstreamAdapterOptions options)
{
    public const string HttpClientName = "stabilityai-upstream";

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    private string Provider => options.Provider;

    private HttpClient Http => httpClientFactory.CreateClient(HttpClientName);

    /// <param name="initImage">The loaded input image for image-to-image and masking; null for text-to-image.</param>
    /// <param name="maskImage">The loaded mask for masking (inpainting); null otherwise.</param>
    public async Task<IReadOnlyList<ProviderImage>> GenerateAsync(GenerationPlan plan, LoadedImage? initImage, LoadedImage? maskImage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Func<HttpRequestMessage> request;
        if (plan.Operation == GenerationPlan.TextToImage)
        {
            var body = plan.JsonBody();
            request = () =>
            {
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = JsonContentType;
                return Post(plan.Path, content);
            };
        }
        else
        {
            ArgumentNullException.ThrowIfNull(initImage);
            request = () => Post(plan.Path, plan.Form(initImage, maskImage));
        }

        using var response = await pipeline.SendAsync(Http, request, streaming: false, cancellationToken, StabilityErrorBody.Parse);
        byte[] bytes;
        try
        {
            bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider), ex);
        }

        return ArtifactReader.Read(bytes, Provider);
    }

    private static HttpRequestMessage Post(string path, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Accept.Add(AcceptJson);
        return request;
    }
}
