namespace CCApi.Gateway.Http;

/// <summary>
/// The blob-store files of the model routes: uploaded input images stored for the adapters (the commands carry
/// references only), and results handed to the client as signed URLs of this gateway (/v1/files) or as their bytes
/// (inline base64, an audio body). Bytes are read as the response is written; a result gone by then answers 502.
/// </summary>
public sealed class ModelFiles(IBlobStore blobs, PublicUrls urls)
{
    public Task<BlobRef> PutAsync(byte[] bytes, string contentType, CancellationToken cancellationToken) =>
        blobs.PutAsync(bytes, contentType, cancellationToken);

    /// <summary>A signed URL of a result; its file extension is <paramref name="extension"/> or follows its content type.</summary>
    public string Url(HttpRequest request, BlobRef blob, string? extension = null) => urls.File(request, blob, extension);

    public async Task<byte[]> ReadAsync(string blobId, CancellationToken cancellationToken) =>
        (await blobs.GetAsync(blobId, cancellationToken))?.Bytes
        ?? throw new ApiException(502, ErrorTypes.Api, ErrorCodes.ProviderError, "The provider's result is no longer available.");

    /// <summary>Image data as signed URLs or inline base64 (bytes read from the blob store, all at once).</summary>
    public async Task<List<ImageDatum>> ImagesAsync(
        HttpRequest request,
        IEnumerable<(string BlobId, string? ContentType, long? Seed, string? RevisedPrompt)> images,
        string responseFormat,
        bool seeds,
        CancellationToken cancellationToken)
    {
        var list = images.ToList();
        if (responseFormat != "b64_json")
        {
            return list.Select(i => new ImageDatum(urls.File(request, i.BlobId, i.ContentType), null, i.RevisedPrompt, seeds ? i.Seed : null)).ToList();
        }

        var bytes = await Task.WhenAll(list.Select(i => ReadAsync(i.BlobId, cancellationToken)));
        return list.Select((i, n) => new ImageDatum(null, Convert.ToBase64String(bytes[n]), i.RevisedPrompt, seeds ? i.Seed : null)).ToList();
    }
}
