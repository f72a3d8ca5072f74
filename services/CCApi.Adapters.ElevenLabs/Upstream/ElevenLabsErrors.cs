using System.Globalization;
using System.Text;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.ElevenLabs.Upstream;

/// <summary>
/// ElevenLabs' error bodies, read for the <see cref="UpstreamPipeline"/> (its <c>parseError</c>), so the provider's own
/// message reaches the client on a 400/404/422. Three shapes exist:
/// <list type="bullet">
/// <item><c>{"detail":{"type","code","message","status","request_id","param"}}</c> — documented (status is the legacy
/// name of code; older answers carry only <c>status</c> and <c>message</c>);</item>
/// <item><c>{"detail":[{"loc":["body","text"],"msg","type"}]}</c> — 422 request validation (FastAPI);</item>
/// <item><c>{"detail":"text"}</c>.</item>
/// </list>
/// ElevenLabs' parameter names become the CCAPI field the client sent (text → input, voice_id → voice, …).
/// </summary>
public static class ElevenLabsErrors
{
    /// <summary>ElevenLabs' status/code for "the account's character quota is used up" (answered with HTTP 401).</summary>
    public const string QuotaExceededCode = "quota_exceeded";

    private static readonly Dictionary<string, string> CcapiFields = new(StringComparer.Ordinal)
    {
        ["text"] = "input",
        ["voice_id"] = "voice",
        ["model_id"] = "model",
        ["output_format"] = "response_format",
        ["voice_settings.speed"] = "speed",
    };

    /// <summary>Provider codes whose field is known even when the body names none.</summary>
    private static readonly Dictionary<string, string> FieldOfCode = new(StringComparer.Ordinal)
    {
        ["voice_not_found"] = "voice",
        ["max_character_limit_exceeded"] = "input",
        ["model_not_found"] = "model",
    };

    public static UpstreamErrorBody? Parse(string? body) => UpstreamErrorBody.Parse(body, static root =>
    {
        if (!root.TryGetProperty("detail", out var detail))
        {
            return null;
        }

        switch (detail.ValueKind)
        {
            case JsonValueKind.Object:
                var code = Text(detail, "code") ?? Text(detail, "status");
                var param = Text(detail, "param") is { } p ? CcapiField(p) : code is null ? null : FieldOfCode.GetValueOrDefault(code);
                return new UpstreamErrorBody(Text(detail, "message"), Text(detail, "type"), code, param);
            case JsonValueKind.Array:
                return Validation(detail);
            case JsonValueKind.String:
                return new UpstreamErrorBody(detail.GetString());
            default:
                return null;
        }
    });

    /// <summary>
    /// 503: the platform's ElevenLabs account has no characters left. Not the client's fault, and not a refused
    /// credential either (ElevenLabs answers it with HTTP 401, which would otherwise read as one).
    /// </summary>
    public static ErrorInfo QuotaExceeded(string provider) => new()
    {
        Status = 503,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderUnavailable,
        Message = $"Provider '{provider}' refused the request: the platform's {provider} character quota is used up. " +
                  "Your CCAPI API key is fine; contact the platform operator.",
        Details = new Dictionary<string, string> { ["provider"] = provider, ["upstream_status"] = "401", ["provider_code"] = QuotaExceededCode },
    };

    /// <summary>The CCAPI field for an ElevenLabs parameter path ("voice_settings.speed" → "speed", "text" → "input").</summary>
    public static string CcapiField(string providerParam) =>
        CcapiFields.GetValueOrDefault(providerParam) ?? providerParam;

    /// <summary>422: every item as "field: msg"; the first item's field is the param.</summary>
    private static UpstreamErrorBody? Validation(JsonElement items)
    {
        var message = new StringBuilder();
        string? param = null;
        string? type = null;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var field = item.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array ? FieldPath(loc) : null;
            var msg = Text(item, "msg") ?? "invalid";
            param ??= field is null ? null : CcapiField(field);
            type ??= Text(item, "type");
            if (message.Length > 0)
            {
                message.Append("; ");
            }

            message.Append(field is null ? msg : $"{CcapiField(field)}: {msg}");
        }

        return message.Length == 0 ? null : new UpstreamErrorBody(message.ToString(), type, "validation_error", param);
    }

    /// <summary>["body","voice_settings","speed"] → "voice_settings.speed"; ["body","items",0] → "items[0]". Where it was (body/query/path) is dropped.</summary>
    private static string? FieldPath(JsonElement loc)
    {
        var path = new StringBuilder();
        var index = 0;
        foreach (var part in loc.EnumerateArray())
        {
            if (index++ == 0 && part.ValueKind == JsonValueKind.String && part.GetString() is "body" or "query" or "path" or "header")
            {
                continue;
            }

            if (part.ValueKind == JsonValueKind.Number)
            {
                path.Append(CultureInfo.InvariantCulture, $"[{part.GetRawText()}]");
            }
            else if (part.ValueKind == JsonValueKind.String)
            {
                path.Append(path.Length == 0 ? "" : ".").Append(part.GetString());
            }
        }

        return path.Length == 0 ? null : path.ToString();
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()
            : null;
}
