using CCApi.Contracts;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ImaginePro.Jobs;

/// <summary>
/// ImaginePro takes input images by URL only (it downloads them itself). A client's image URL is passed on as it is; an
/// image the client sent as data (kept in the blob store by the gateway) is passed as a signed, expiring gateway file URL
/// — possible only when this process knows the gateway's public origin and the signing key (BlobUrls:PublicBaseUrl,
/// BlobUrls:SigningKey). Without them such inputs answer 400 naming the field, before anything is submitted.
/// </summary>
public sealed class InputImageUrls(IOptions<BlobUrlOptions> options, TimeProvider time)
{
    private readonly BlobUrlSigner? _signer = CanSign(options.Value) ? new BlobUrlSigner(options, time) : null;

    public bool CanSignBlobs => _signer is not null;

    /// <summary>The URL ImaginePro should fetch for <paramref name="input"/>; <paramref name="field"/> names it in errors.</summary>
    public string For(ImageInput input, string field)
    {
        if (!string.IsNullOrWhiteSpace(input.Url))
        {
            return OutboundUrlGuard.ValidateSyntax(input.Url) is { } problem
                ? throw ApiException.BadField(field, $"'{field}.url' {problem}.")
                : input.Url;
        }

        if (input.Blob is { } blob)
        {
            if (_signer is null)
            {
                throw ApiException.BadField(field,
                    $"Provider 'imaginepro' takes input images by URL only, and this deployment has no public file URL to give it for uploaded data: send '{field}.url' instead of '{field}.data'.");
            }

            return _signer.Sign(_signer.PublicBaseUrl!, blob.Id, Extension(blob.ContentType));
        }

        throw ApiException.BadField(field, $"'{field}' needs a url or data.", ErrorCodes.MissingField);
    }

    private static bool CanSign(BlobUrlOptions o) =>
        o.SigningKey is { Length: >= 32 } && Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https";

    private static string? Extension(string contentType) => contentType switch
    {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => null,
    };
}
