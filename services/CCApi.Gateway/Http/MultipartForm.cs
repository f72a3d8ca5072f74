using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace CCApi.Gateway.Http;

/// <summary>
/// Reads a multipart/form-data body into a form as ASP.NET Core's <c>ReadFormAsync</c> does, but holds its text fields to
/// what the JSON routes hold strings to: UTF-8. <c>ReadFormAsync</c> decodes bytes that are not UTF-8 (a lone surrogate's
/// among them) to U+FFFD and sends the text on, reads a part after a UTF-16 byte-order mark as UTF-16 (<c>\xff\xfe</c>
/// became an empty prompt) and honours any charset a part declares; here each of those is a 400 naming the field. Files
/// are buffered in memory: the route's body limit (<c>BodyLimits:Routes</c>) bounds them, as it bounds the whole body.
/// </summary>
public static class MultipartForm
{
    /// <summary>Parts one form may have: the edit route's fields and images with room to spare.</summary>
    public const int MaxParts = 64;

    /// <summary>Bytes one text field may have (a prompt's own limit, in characters, is the route's).</summary>
    public const int MaxFieldBytes = 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<IFormCollection> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(Boundary(request.ContentType), request.Body);
        var fields = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        var files = new FormFileCollection();
        var parts = 0;
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (++parts > MaxParts)
            {
                throw ApiException.BadField("body", $"The multipart body has more than {MaxParts} parts.");
            }

            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                || HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { Length: > 0 } name)
            {
                throw ApiException.BadField("body", "Every part of the multipart body needs 'Content-Disposition: form-data; name=\"…\"'.");
            }

            if (disposition.IsFileDisposition())
            {
                var buffer = new MemoryStream();
                await section.Body.CopyToAsync(buffer, cancellationToken);
                buffer.Position = 0;
                var fileName = HeaderUtilities.RemoveQuotes(StringSegment.IsNullOrEmpty(disposition.FileNameStar) ? disposition.FileName : disposition.FileNameStar);
                files.Add(new FormFile(buffer, 0, buffer.Length, name, fileName.Value ?? "")
                {
                    Headers = new HeaderDictionary(section.Headers),
                });
            }
            else
            {
                var text = await ReadTextAsync(section, name, cancellationToken);
                fields[name] = fields.TryGetValue(name, out var values) ? StringValues.Concat(values, text) : new StringValues(text);
            }
        }

        return new FormCollection(fields, files);
    }

    private static string Boundary(string? contentType)
    {
        var boundary = MediaTypeHeaderValue.TryParse(contentType, out var media) ? HeaderUtilities.RemoveQuotes(media.Boundary) : StringSegment.Empty;
        return boundary.Length is > 0 and <= 70
            ? boundary.Value!
            : throw ApiException.BadField("Content-Type", "Content-Type multipart/form-data needs a boundary of 1 to 70 characters.");
    }

    private static async Task<string> ReadTextAsync(MultipartSection section, string field, CancellationToken cancellationToken)
    {
        if (section.ContentType is { } type && MediaTypeHeaderValue.TryParse(type, out var media)
            && media.Charset is { Length: > 0 } charset && !MediaTypes.IsUtf8(charset))
        {
            throw ApiException.BadField(field, $"'{field}' must be UTF-8 text; its part declares charset '{Api.Validation.Truncate(charset.ToString())}'.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await section.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxFieldBytes)
            {
                throw ApiException.BadField(field, $"'{field}' is longer than {MaxFieldBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[Encoding.UTF8.Preamble.Length..]; // a UTF-8 byte-order mark, dropped as ReadFormAsync drops it
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw ApiException.BadField(field, $"'{field}' is not UTF-8 text: it has bytes that are not UTF-8 (or that encode a lone surrogate).");
        }
    }

}
