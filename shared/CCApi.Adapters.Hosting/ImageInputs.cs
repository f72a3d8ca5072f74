using CCApi.Contracts;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.Adapters.Hosting;

/// <summary>An input image's bytes and the content type sniffed from them (never the one the client claimed).</summary>
public sealed record LoadedImage(byte[] Bytes, string ContentType);

/// <summary>
/// Loads a command's input images (<see cref="ImageInput"/>) for an adapter that must upload them to its provider: bytes
/// the gateway already put in the blob store, or a client's URL fetched ONLY through <see cref="OutboundUrlGuard"/>
/// (http(s), public addresses, size and time bounded). Every problem is a 400 naming <c>field</c>, never a 500.
/// Register it in the adapter with <c>services.TryAddSingleton&lt;ImageInputs&gt;()</c>.
/// </summary>
public sealed class ImageInputs(IBlobStore blobs, OutboundUrlGuard urls)
{
    public async Task<LoadedImage> LoadAsync(ImageInput input, string field, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        byte[] bytes;
        if (input.Blob is { } blob)
        {
            bytes = (await blobs.GetAsync(blob.Id, cancellationToken))?.Bytes
                ?? throw ApiException.BadField(field, $"The uploaded image in '{field}' has expired or does not exist; send it again.");
        }
        else if (!string.IsNullOrWhiteSpace(input.Url))
        {
            try
            {
                (bytes, _) = await urls.FetchAsync(input.Url, cancellationToken);
            }
            catch (OutboundUrlException ex)
            {
                throw ApiException.BadField(field, $"Could not fetch the image URL in '{field}': {ex.Message}");
            }
        }
        else
        {
            throw ApiException.BadField(field, $"The image in '{field}' needs a url or data.", ErrorCodes.MissingField);
        }

        var contentType = ImageBytes.Sniff(bytes) ?? throw ApiException.BadField(field, $"The image in '{field}' is not a PNG, JPEG, WebP or GIF image.");
        return new LoadedImage(bytes, contentType);
    }
}
