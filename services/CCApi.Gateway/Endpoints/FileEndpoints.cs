using System.Globalization;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// GET /v1/files/{blobId}[.ext]?expires=&amp;signature= : generated images and audio behind signed, expiring URLs. The
/// signature is the credential (no bearer key), so the URLs work in &lt;img&gt;/&lt;audio&gt; tags and for whoever the
/// client hands them to until they expire. Byte ranges are served (<c>Accept-Ranges: bytes</c>).
/// </summary>
public static class FileEndpoints
{
    public static IEndpointRouteBuilder MapFileEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Files", group =>
        {
            group.MapGet("/files/{name}", GetFile)
                .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
                .Produces(StatusCodes.Status206PartialContent, contentType: "application/octet-stream")
                .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
                .Produces<ErrorResponse>(StatusCodes.Status416RangeNotSatisfiable)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
                .WithMetadata(Http.SingleQueryValues.Exempt); // a repeated expires or signature is no signed URL: 403 below
        }, authenticated: false);

    public static async Task<FileContentHttpResult> GetFile(
        string name, HttpContext http, BlobUrlSigner signer, IBlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var blobId = dot < 0 ? name : name[..dot];
        var query = http.Request.Query;
        var expires = query["expires"];
        var signature = query["signature"];
        // BlobUrlSigner.Verify refuses an expiry past or beyond DateTimeOffset's range; the parse here is for Cache-Control.
        if (expires.Count != 1 || signature.Count != 1
            || !long.TryParse(expires[0], NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)
            || !signer.Verify(blobId, expires[0], signature[0]))
        {
            throw new ApiException(403, ErrorTypes.InvalidRequest, GatewayErrorCodes.InvalidSignature,
                "The file URL's signature is invalid or has expired; request the result again for a fresh URL.");
        }

        var blob = await blobs.GetAsync(blobId, cancellationToken) ?? throw ApiException.NotFound("The file does not exist or has expired.");
        var remaining = expiry - time.GetUtcNow().ToUnixTimeSeconds();
        http.Response.Headers.CacheControl = $"private, max-age={Math.Max(0, remaining)}";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        // Byte ranges (206; several ranges get the whole file): Safari's <audio> and <video> seek, and will not play from a
        // server that ignores Range. The bytes are in memory; a range is a slice of them.
        RefuseRangePastTheEnd(http, blob.Bytes.Length);
        return TypedResults.File(blob.Bytes, blob.ContentType, enableRangeProcessing: true);
    }

    /// <summary>
    /// 416 in the error object, with <c>Content-Range: bytes */length</c>, for one byte range that starts past the end (or
    /// an empty suffix): ASP.NET would answer it with an empty body. Anything else a Range header holds is left to it.
    /// </summary>
    private static void RefuseRangePastTheEnd(HttpContext http, long length)
    {
        if (!Microsoft.Net.Http.Headers.RangeHeaderValue.TryParse(http.Request.Headers.Range.ToString(), out var range)
            || !string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase)
            || range.Ranges.Count != 1)
        {
            return;
        }

        var only = range.Ranges.Single();
        if (only.From >= length || (only.From is null && only.To == 0))
        {
            http.Response.OnStarting(static state =>
            {
                var (response, total) = ((HttpResponse, long))state;
                response.Headers.ContentRange = $"bytes */{total}";
                return Task.CompletedTask;
            }, (http.Response, length));
            throw new ApiException(416, ErrorTypes.InvalidRequest, GatewayErrorCodes.RangeNotSatisfiable,
                $"The requested range starts past the end of the file ({length} bytes).", new Dictionary<string, string> { ["param"] = "Range" });
        }
    }
}
