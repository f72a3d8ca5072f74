using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.Adapters.StabilityAI.Upstream;

/// <summary>
/// Reads a v1 generation response, <c>{"artifacts":[{"base64","seed","finishReason"}]}</c> (the reference's schema also
/// shows a bare array of the same objects; both are accepted). finishReason SUCCESS = an image; CONTENT_FILTERED = the
/// provider's content filter blurred it → the job fails with a 400 content-policy error (a blurred image is not a result);
/// ERROR → 502. Anything else malformed → 502.
/// </summary>
public static class ArtifactReader
{
    public const string ContentPolicyViolation = "content_policy_violation";

    public static IReadOnlyList<ProviderImage> Read(ReadOnlySpan<byte> body, string provider)
    {
        List<(string? Base64, long? Seed, string? Reason)> items;
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var root = doc.RootElement;
            var array = root.ValueKind == JsonValueKind.Array ? root
                : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("artifacts", out var a) && a.ValueKind == JsonValueKind.Array ? a
                : throw new UpstreamException(UpstreamErrors.Malformed(provider, "no 'artifacts' array"));
            items = [.. array.EnumerateArray().Select(e => (Text(e, "base64"), Seed(e), Text(e, "finishReason")))];
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(provider, "the generation response is not valid JSON"), ex);
        }

        if (items.Count == 0)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(provider, "no images in 'artifacts'"));
        }

        var filtered = items.Count(i => i.Reason == "CONTENT_FILTERED");
        if (filtered > 0)
        {
            throw new UpstreamException(ContentFiltered(provider, filtered, items.Count));
        }

        if (items.Count(i => i.Reason == "ERROR") is var failed and > 0)
        {
            throw new UpstreamException(new ErrorInfo
            {
                Status = 502,
                Type = ErrorTypes.Api,
                Code = ErrorCodes.ProviderError,
                Message = $"Provider '{provider}' failed to generate {failed} of {items.Count} image(s) (finishReason ERROR).",
                Details = new Dictionary<string, string> { ["provider"] = provider, ["finish_reason"] = "ERROR" },
            });
        }

        var artifacts = new List<ProviderImage>(items.Count);
        foreach (var (base64, seed, reason) in items)
        {
            if (reason is not (null or "SUCCESS"))
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, $"unknown finishReason '{reason}'"));
            }

            if (string.IsNullOrEmpty(base64))
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "an artifact without base64"));
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(base64);
            }
            catch (FormatException ex)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "an artifact's base64 is not base64"), ex);
            }

            var contentType = ImageBytes.Sniff(bytes);
            if (contentType is not ("image/png" or "image/jpeg" or "image/webp"))
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "an artifact is not a PNG, JPEG or WebP image"));
            }

            artifacts.Add(new ProviderImage(bytes, contentType, seed));
        }

        return artifacts;
    }

    /// <summary>400: the provider's content filter caught the result; the client must change the prompt (or input image).</summary>
    public static ErrorInfo ContentFiltered(string provider, int filtered, int total) => new()
    {
        Status = 400,
        Type = ErrorTypes.InvalidRequest,
        Code = ContentPolicyViolation,
        Message = $"Provider '{provider}' withheld {filtered} of {total} generated image(s) under its content policy (finishReason CONTENT_FILTERED), " +
                  "so no images are returned. Change the prompt (or the input image) and try again.",
        Details = new Dictionary<string, string> { ["param"] = "prompt", ["provider"] = provider, ["finish_reason"] = "CONTENT_FILTERED" },
    };

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Seed(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("seed", out var value) && value.ValueKind == JsonValueKind.Number
            ? value.TryGetInt64(out var whole) ? whole : (long)value.GetDouble()
            : null;
}
