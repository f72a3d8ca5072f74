namespace CCApi.Gateway.Http;

/// <summary>
/// Absolute URLs the API hands out (signed file URLs, poll URLs): BlobUrls:PublicBaseUrl when configured, otherwise
/// the origin the client used.
/// </summary>
public sealed class PublicUrls(BlobUrlSigner signer)
{
    public string BaseUrl(HttpRequest request) =>
        signer.PublicBaseUrl ?? $"{request.Scheme}://{(request.Host.HasValue ? request.Host.Value : "localhost")}{request.PathBase.Value}";

    public string File(HttpRequest request, BlobRef blob, string? extension = null) =>
        signer.Sign(BaseUrl(request), blob.Id, extension ?? MediaTypes.ExtensionFor(blob.ContentType));

    public string File(HttpRequest request, string blobId, string? contentType) =>
        signer.Sign(BaseUrl(request), blobId, MediaTypes.ExtensionFor(contentType));

    public string ImageJob(HttpRequest request, string publicId) => $"{BaseUrl(request)}/v1/images/jobs/{publicId}";
}

public static class MediaTypes
{
    /// <summary>
    /// True when a declared charset (quoted or not) is UTF-8, or US-ASCII, a subset of it: what the JSON bodies and the
    /// multipart text fields are read as. Any other declared charset would be misread, not transcoded.
    /// </summary>
    public static bool IsUtf8(Microsoft.Extensions.Primitives.StringSegment charset)
    {
        charset = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(charset);
        return charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Content type per audio format, as OpenAI answers them (so its SDKs accept the bytes).</summary>
    public static string Audio(string format) => format switch
    {
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "opus" => "audio/opus",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "pcm" => "audio/pcm",
        _ => "application/octet-stream",
    };

    /// <summary>A file extension for signed URLs (cosmetic: the blob id is what is verified).</summary>
    public static string? ExtensionFor(string? contentType) => contentType?.ToLowerInvariant() switch
    {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/mpeg" => "mp3",
        "audio/wav" or "audio/x-wav" or "audio/wave" => "wav",
        "audio/ogg" => "ogg",
        "audio/opus" => "opus",
        "audio/aac" => "aac",
        "audio/flac" => "flac",
        "audio/pcm" => "pcm",
        _ => null,
    };


    public static readonly string[] InputImageTypes = ["image/png", "image/jpeg", "image/webp", "image/gif"];
}
