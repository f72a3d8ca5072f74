using System.Buffers;
using System.Globalization;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.ImaginePro.Upstream;

/// <summary>One answer of GET /api/v1/message/fetch/{messageId}, as far as the adapter needs it.</summary>
public sealed record MessageStatus(string MessageId, string Status, int Progress, string? ImageUrl, string? Error)
{
    public bool IsDone => Status == ImagineProWire.Done;

    public bool IsFailed => Status == ImagineProWire.Failed;
}

/// <summary>
/// ImaginePro's JSON: the Universal Imagine request body, the submit answer, the message (progress) answer, its error
/// bodies, and what a FAIL means for the client. Pure functions, unit-tested without a server.
/// </summary>
public static class ImagineProWire
{
    public const string Queued = "QUEUED";
    public const string Processing = "PROCESSING";
    public const string Done = "DONE";
    public const string Failed = "FAIL";

    /// <summary>The CCAPI error code of a job the provider refused on content grounds (OpenAI uses the same code).</summary>
    public const string ContentPolicyViolation = "content_policy_violation";

    /// <summary>The job timeout ImaginePro accepts on its generation endpoints, in seconds.</summary>
    public const int MinTimeoutSeconds = 10;
    public const int MaxTimeoutSeconds = 900;

    /// <summary>
    /// Words of an error text that say the provider (or the model behind it) refused the content. ImaginePro documents no
    /// error codes for this, only an "error" text, so this is a best effort over the wording such refusals use.
    /// </summary>
    private static readonly string[] ModerationWords =
        ["moderation", "moderated", "banned", "prohibited", "nsfw", "content policy", "safety", "inappropriate", "flagged", "blocked"];

    /// <summary>
    /// The body of POST /api/v1/universal/imagine: <c>{"model", "contents":[{"type":"image","url"}…, {"type":"text","text"}],
    /// "ref", "timeout"}</c> — input images first, then the instruction, as in ImaginePro's own example.
    /// </summary>
    public static byte[] SubmitBody(string model, IReadOnlyList<string> imageUrls, string prompt, string reference, TimeSpan timeout)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteStartArray("contents");
            foreach (var url in imageUrls)
            {
                json.WriteStartObject();
                json.WriteString("type", "image");
                json.WriteString("url", url);
                json.WriteEndObject();
            }

            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", prompt);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("ref", reference);
            json.WriteNumber("timeout", TimeoutSeconds(timeout));
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The provider-side job timeout for our polling budget, clamped to what ImaginePro accepts.</summary>
    public static int TimeoutSeconds(TimeSpan timeout) =>
        (int)Math.Clamp(Math.Ceiling(timeout.TotalSeconds), MinTimeoutSeconds, MaxTimeoutSeconds);

    /// <summary>
    /// The message id from the submit answer <c>{"success":true,"messageId","createdAt"}</c>. <c>success: false</c> with an
    /// error ends the job: 400 when the content was refused, otherwise 502 with the provider's words.
    /// </summary>
    public static string ReadSubmit(ReadOnlySpan<byte> body, string provider)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "the submit answer is not a JSON object"));
            }

            var success = !root.TryGetProperty("success", out var s) || s.ValueKind != JsonValueKind.False;
            var error = Text(root, "error");
            var messageId = Text(root, "messageId");
            if (!success || (messageId is null && error is not null))
            {
                throw new UpstreamException(Refused(provider, error));
            }

            return string.IsNullOrWhiteSpace(messageId)
                ? throw new UpstreamException(UpstreamErrors.Malformed(provider, "no messageId in the submit answer"))
                : messageId;
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(provider, "the submit answer is not valid JSON"), ex);
        }
    }

    /// <summary>
    /// The message answer: <c>status</c> (QUEUED, PROCESSING, DONE, FAIL), <c>progress</c> (0–100; documented as a string
    /// and shown as a number, both read), <c>uri</c> (ImaginePro's CDN; <c>originalUrl</c> as a fallback) and <c>error</c>.
    /// </summary>
    public static MessageStatus ReadMessage(ReadOnlySpan<byte> body, string messageId, string provider)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "the message answer is not a JSON object"));
            }

            var status = Text(root, "status")?.Trim().ToUpperInvariant();
            if (status is not (Queued or Processing or Done or Failed))
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, status is null ? "a message without a status" : $"unknown message status '{status}'"));
            }

            var url = Text(root, "uri") ?? Text(root, "originalUrl");
            if (status == Done && string.IsNullOrWhiteSpace(url))
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "a DONE message without an image URL"));
            }

            return new MessageStatus(Text(root, "messageId") ?? messageId, status, Progress(root), url, Text(root, "error"));
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(provider, "the message answer is not valid JSON"), ex);
        }
    }

    /// <summary>
    /// ImaginePro's error bodies are NestJS's <c>{"statusCode", "message", "error"}</c>: <c>message</c> is the useful text
    /// (a string, or a list of validation messages), <c>error</c> only the status phrase. Other shapes fall back to the
    /// common parser.
    /// </summary>
    public static UpstreamErrorBody? ParseError(string? body) => UpstreamErrorBody.Parse(body, static root =>
    {
        if (!root.TryGetProperty("message", out var message))
        {
            return null;
        }

        var text = message.ValueKind switch
        {
            JsonValueKind.String => message.GetString(),
            JsonValueKind.Array => string.Join("; ", message.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.String).Select(m => m.GetString())),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text) ? null : new UpstreamErrorBody(text);
    });

    /// <summary>True when an error text says the content was refused (see <see cref="ModerationWords"/>).</summary>
    public static bool IsModeration(string? error) =>
        !string.IsNullOrWhiteSpace(error) && ModerationWords.Any(w => error.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>A job that ended in FAIL (or a submission refused): 400 for content refusals, otherwise 502.</summary>
    public static ErrorInfo Refused(string provider, string? error)
    {
        var said = string.IsNullOrWhiteSpace(error) ? null : error.Trim();
        if (IsModeration(said))
        {
            return new ErrorInfo
            {
                Status = 400,
                Type = ErrorTypes.InvalidRequest,
                Code = ContentPolicyViolation,
                Message = $"Provider '{provider}' refused the request on content grounds: {said}",
                Details = new Dictionary<string, string> { ["param"] = "prompt", ["provider"] = provider, ["provider_status"] = Failed },
            };
        }

        return new ErrorInfo
        {
            Status = 502,
            Type = ErrorTypes.Api,
            Code = ErrorCodes.ProviderError,
            Message = $"Provider '{provider}' failed to generate the image" + (said is null ? "." : $": {said}"),
            Details = new Dictionary<string, string> { ["provider"] = provider, ["provider_status"] = Failed },
        };
    }

    private static int Progress(JsonElement root)
    {
        if (!root.TryGetProperty("progress", out var progress))
        {
            return 0;
        }

        double value = progress.ValueKind switch
        {
            JsonValueKind.Number => progress.GetDouble(),
            JsonValueKind.String when double.TryParse(progress.GetString()?.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => 0,
        };
        return double.IsNaN(value) ? 0 : (int)Math.Clamp(value, 0, 100);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()
            : null;
}
