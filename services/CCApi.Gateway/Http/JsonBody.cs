using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CCApi.Gateway.Http;

/// <summary>
/// Reads a request body as JSON ourselves (not through minimal-API binding) so every way a body can be wrong becomes a
/// CCAPI 4xx naming the field: non-JSON content type → 415, too large → 413, malformed JSON or a wrong type → 400
/// invalid_json with the field path (<c>messages[0].content</c>) in the message and in <c>details.param</c>; a compressed
/// body → 415; a body Kestrel cannot read (a malformed chunk) → 400.
/// </summary>
public sealed class JsonBody(IOptions<GatewayOptions> options)
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        RequireIdentityEncoding(request);
        if (!string.IsNullOrEmpty(request.ContentType) && !request.HasJsonContentType())
        {
            throw new ApiException(415, ErrorTypes.InvalidRequest, ErrorCodes.UnsupportedMediaType,
                $"Content-Type must be application/json, not '{Truncate(request.ContentType, 100)}'.");
        }

        if (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            && mediaType.Charset is { HasValue: true } charset
            && !MediaTypes.IsUtf8(charset))
        {
            // JSON is UTF-8 (RFC 8259): a body declared in another charset would be misread, not transcoded.
            throw new ApiException(415, ErrorTypes.InvalidRequest, ErrorCodes.UnsupportedMediaType,
                $"The JSON body must be UTF-8; charset '{Truncate(charset.ToString(), 40)}' is not supported.");
        }

        var limit = options.Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        var reader = request.BodyReader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cancellationToken);
            }
            catch (IOException ex) when (ex is not BadHttpRequestException
                && !cancellationToken.IsCancellationRequested && !request.HttpContext.RequestAborted.IsCancellationRequested)
            {
                // Kestrel's own refusals are BadHttpRequestException, an IOException with its status (a framing 400, the
                // route's 413): the shared handler answers those. A chunk size too large for a number is a plain
                // IOException ("Bad chunk size data") — the client's fault all the same.
                throw ApiException.UnreadableBody(ex);
            }

            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                throw TooLarge(limit);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                try
                {
                    return Parse(buffer, typeInfo);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public static T Parse<T>(ReadOnlySequence<byte> body, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (body.IsEmpty)
        {
            throw ApiException.BadField("body", "The request body is empty; send a JSON object.", ErrorCodes.InvalidJson);
        }

        if (new SequenceReader<byte>(body).IsNext(Utf8Bom))
        {
            body = body.Slice(Utf8Bom.Length); // what .NET's StreamWriter(Encoding.UTF8) writes first; JSON parsers skip it
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw ApiException.BadField("body", "The request body must be a JSON object.", ErrorCodes.InvalidJson);
            }

            RequireValidText(body);
            reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            var value = JsonSerializer.Deserialize(ref reader, typeInfo)
                ?? throw ApiException.BadField("body", "The request body must be a JSON object.", ErrorCodes.InvalidJson);

            // Trailing content after the object ("{}{}", "{} x") is malformed too.
            if (reader.Read())
            {
                throw ApiException.BadField("body", "Invalid JSON in the request body: unexpected content after the end of the object.", ErrorCodes.InvalidJson);
            }

            return value;
        }
        catch (JsonException ex)
        {
            throw Describe(ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException or FormatException or OverflowException)
        {
            throw ApiException.BadField("body", "Invalid JSON in the request body: it could not be read as the expected object.", ErrorCodes.InvalidJson);
        }
    }

    /// <summary>
    /// Every string and property name must decode to valid Unicode. The serializer checks the strings it converts, but
    /// not those it keeps as raw JSON (<see cref="JsonElement"/> unions such as <c>content</c>, <c>stop</c>,
    /// <c>tool_choice</c>, unknown fields), where an escaped lone surrogate (<c>"\ud800"</c>) or raw bytes that are not
    /// UTF-8 would only fail later, as a 500. Malformed JSON is left for the serializer to describe.
    /// </summary>
    private static void RequireValidText(ReadOnlySequence<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        char[]? scratch = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && !IsValidText(ref reader, ref scratch))
                {
                    var field = FieldAt(body, reader.TokenStartIndex, reader.TokenType == JsonTokenType.PropertyName);
                    var what = reader.TokenType == JsonTokenType.PropertyName ? $"a property name in '{field}'" : $"'{field}'";
                    throw ApiException.BadField(field,
                        $"Invalid text at {what}: it holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair) or bytes that are not UTF-8.",
                        ErrorCodes.InvalidJson);
                }
            }
        }
        catch (JsonException)
        {
            // Malformed: the serializer reports it, with the path, below.
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }
        }
    }

    private static bool IsValidText(ref Utf8JsonReader reader, ref char[]? scratch)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return System.Text.Unicode.Utf8.IsValid(reader.ValueSpan);
        }

        // Unescaping and transcoding throw InvalidOperationException for a lone surrogate or invalid UTF-8.
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (scratch is null || scratch.Length < length)
        {
            if (scratch is not null)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }

            scratch = ArrayPool<char>.Shared.Rent(Math.Max(length, 256));
        }

        try
        {
            reader.CopyString(scratch);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The field path ("messages[0].content") of the token that starts at <paramref name="offset"/>.</summary>
    private static string FieldAt(ReadOnlySequence<byte> body, long offset, bool isPropertyName)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        var frames = new List<PathFrame>();
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is not (JsonTokenType.EndObject or JsonTokenType.EndArray or JsonTokenType.PropertyName)
                && frames.Count > 0 && frames[^1].IsArray)
            {
                frames[^1].Index++;
            }

            if (reader.TokenStartIndex == offset)
            {
                break;
            }

            switch (token)
            {
                case JsonTokenType.PropertyName:
                    frames[^1].Name = reader.GetString();
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    frames.Add(new PathFrame { IsArray = token == JsonTokenType.StartArray });
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    break;
                default:
                    break;
            }
        }

        var path = new System.Text.StringBuilder();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Name is not null && !(isPropertyName && i == frames.Count - 1))
            {
                path.Append(path.Length > 0 ? "." : "").Append(frame.Name);
            }
        }

        return path.Length == 0 ? "body" : path.ToString();
    }

    private sealed class PathFrame
    {
        public bool IsArray { get; init; }
        public int Index { get; set; } = -1;
        public string? Name { get; set; }
    }

    /// <summary>A JsonException as 400 invalid_json naming the field, without .NET type names.</summary>
    public static ApiException Describe(JsonException ex)
    {
        var field = CcapiExceptionHandler.JsonPathToField(ex.Path);
        var message = ex.Message;
        foreach (var marker in (ReadOnlySpan<string>)[" Path:", " LineNumber:"])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        const string Conversion = "The JSON value could not be converted to ";
        if (message.StartsWith(Conversion, StringComparison.Ordinal))
        {
            message = $"expected {Expected(message[Conversion.Length..])}";
        }
        else if (message.StartsWith("Duplicate property", StringComparison.Ordinal))
        {
            // The serializer's words name our type (and, for a field it keeps unparsed, its own property 'fields').
            message = field == "body" ? "a property appears more than once; send each once" : "it appears more than once; send it once";
        }
        else
        {
            message = message.TrimEnd('.');
            if (ex.LineNumber is { } line && ex.BytePositionInLine is { } position)
            {
                message += $" (line {line + 1}, position {position + 1})";
            }
        }

        var text = field == "body" ? $"Invalid JSON in the request body: {message}." : $"Invalid JSON at '{field}': {message}.";
        return ApiException.BadField(field, text, ErrorCodes.InvalidJson);
    }

    private static string Expected(string typeName) =>
        typeName.Contains("System.String", StringComparison.Ordinal) ? "a string"
        : typeName.Contains("System.Int", StringComparison.Ordinal) ? "an integer"
        : typeName.Contains("System.Double", StringComparison.Ordinal) ? "a number"
        : typeName.Contains("System.Boolean", StringComparison.Ordinal) ? "a boolean (true or false)"
        : typeName.Contains("List`1", StringComparison.Ordinal) || typeName.Contains("[]", StringComparison.Ordinal) ? "an array"
        : "an object";

    /// <summary>
    /// A body sent compressed (<c>Content-Encoding: gzip</c>, <c>br</c>…) is refused with 415, as RFC 9110 §15.5.16 says:
    /// read as it came it would only fail later as malformed, and a plain body labelled compressed would pass unnoticed.
    /// </summary>
    public static void RequireIdentityEncoding(HttpRequest request)
    {
        var encoding = request.Headers.ContentEncoding;
        foreach (var value in encoding)
        {
            if (!string.IsNullOrWhiteSpace(value) && !value.Trim().Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                throw new ApiException(415, ErrorTypes.InvalidRequest, ErrorCodes.UnsupportedMediaType,
                    $"Content-Encoding '{Truncate(encoding.ToString(), 40)}' is not supported; send the body uncompressed.");
            }
        }
    }

    /// <summary>413 <c>payload_too_large</c>: a body over its route's limit (<paramref name="limit"/> bytes).</summary>
    public static ApiException TooLarge(long limit) =>
        new(413, ErrorTypes.InvalidRequest, ErrorCodes.PayloadTooLarge, $"The request body is larger than {limit} bytes.");

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
