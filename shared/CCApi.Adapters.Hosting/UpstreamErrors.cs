using System.Globalization;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Hosting;

/// <summary>What a provider said in an error body (whatever its shape), as far as the adapter could read it.</summary>
public sealed record UpstreamErrorBody(string? Message, string? Type = null, string? Code = null, string? Param = null)
{
    /// <summary>
    /// Reads the common shapes: <c>{"error":{"message","type","param","code"}}</c> (OpenAI and compatibles),
    /// <c>{"error":"text"}</c>, <c>{"message":..}</c> and <c>{"detail":..}</c>. Null when the body is none of them.
    /// </summary>
    public static UpstreamErrorBody? Parse(string? body) => Read(body, Common);

    /// <summary>
    /// Reads a provider's own error shape: <paramref name="own"/> gets the body's root object and returns null when it
    /// does not recognise it; then the common shapes (<see cref="Parse(string?)"/>) are tried. Null for an empty body, one
    /// that is not JSON, or one that is neither.
    /// </summary>
    public static UpstreamErrorBody? Parse(string? body, Func<JsonElement, UpstreamErrorBody?> own)
    {
        ArgumentNullException.ThrowIfNull(own);
        return Read(body, root => own(root) ?? Common(root));
    }

    private static UpstreamErrorBody? Read(string? body, Func<JsonElement, UpstreamErrorBody?> read)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? read(doc.RootElement) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static UpstreamErrorBody? Common(JsonElement root)
    {
        if (root.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.String)
            {
                return new UpstreamErrorBody(error.GetString());
            }

            if (error.ValueKind == JsonValueKind.Object)
            {
                return new UpstreamErrorBody(Text(error, "message"), Text(error, "type"), Text(error, "code"), Text(error, "param"));
            }
        }

        return Text(root, "message") is { } message ? new UpstreamErrorBody(message, Code: Text(root, "code"))
            : Text(root, "detail") is { } detail ? new UpstreamErrorBody(detail)
            : null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;
}

/// <summary>An upstream call ended in a CCAPI error the client should see.</summary>
public sealed class UpstreamException(ErrorInfo error, Exception? inner = null) : Exception(error.Message, inner)
{
    public ErrorInfo Error { get; } = error;
}

/// <summary>
/// Provider failures as CCAPI errors. The rule: the client learns what happened and whether it is theirs to fix —
/// a provider's 400 keeps the provider's message; a refused platform credential never reads like the client's key.
/// </summary>
public static class UpstreamErrors
{
    /// <summary>Maps a final (non-retried or retries-exhausted) upstream HTTP status.</summary>
    public static ErrorInfo FromStatus(string provider, int status, UpstreamErrorBody? body, TimeSpan? retryAfter = null)
    {
        var said = string.IsNullOrWhiteSpace(body?.Message) ? null : body!.Message!.Trim();
        switch (status)
        {
            case 401 or 403:
                return ProviderApiError(502, ErrorCodes.ProviderAuthFailed, provider,
                    $"Provider '{provider}' refused the platform's credentials (HTTP {status}). Your CCAPI API key is fine: " +
                    "the platform's key for this provider is missing permissions, revoked or wrong; contact the platform operator.",
                    ("upstream_status", Status(status)));
            case 429:
                var seconds = WholeSeconds(retryAfter);
                return new ErrorInfo
                {
                    Status = 429,
                    Type = ErrorTypes.RateLimit,
                    Code = ErrorCodes.RateLimitExceeded,
                    Message = $"Provider '{provider}' is rate limiting requests" + (said is null ? "." : $": {said}") +
                              (seconds is { } s ? $" Retry after {s} s." : " Retry later."),
                    Details = Details(("provider", provider), ("upstream_status", "429"),
                        ("retry_after", seconds?.ToString(CultureInfo.InvariantCulture)), ("provider_code", body?.Code)),
                };
            case 408 or 504:
                return Timeout(provider, null, status);
            case >= 500:
                return ProviderApiError(502, ErrorCodes.ProviderError, provider,
                    $"Provider '{provider}' failed (HTTP {status})" + (said is null ? "." : $": {said}"),
                    ("upstream_status", Status(status)));
            case >= 400:
                return new ErrorInfo
                {
                    Status = 400,
                    Type = ErrorTypes.InvalidRequest,
                    Code = ErrorCodes.InvalidRequest,
                    Message = said is null
                        ? $"Provider '{provider}' rejected the request (HTTP {status})."
                        : $"Provider '{provider}' rejected the request: {said}",
                    Details = Details(("param", body?.Param), ("provider", provider), ("upstream_status", Status(status)), ("provider_code", body?.Code)),
                };
            default:
                return Malformed(provider, $"unexpected HTTP {status}");
        }
    }

    public static ErrorInfo Timeout(string provider, TimeSpan? after, int? upstreamStatus = null) =>
        ProviderApiError(504, ErrorCodes.ProviderTimeout, provider,
            upstreamStatus is { } s
                ? $"Provider '{provider}' timed out (HTTP {s})."
                : $"Provider '{provider}' did not answer" + (after is { } a ? $" within {a.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s." : " in time."),
            ("upstream_status", upstreamStatus is { } u ? Status(u) : null));

    public static ErrorInfo Unreachable(string provider) =>
        ProviderApiError(502, ErrorCodes.ProviderError, provider, $"Provider '{provider}' could not be reached.");

    public static ErrorInfo Malformed(string provider, string what) =>
        ProviderApiError(502, ErrorCodes.ProviderError, provider, $"Provider '{provider}' returned a malformed response ({what}).");

    /// <summary>502: the provider itself failed in a way no status code describes (a local tool missing or crashing).</summary>
    public static ErrorInfo ProviderFailed(string provider, string message) =>
        ProviderApiError(502, ErrorCodes.ProviderError, provider, message);

    public static ErrorInfo DroppedMidStream(string provider) =>
        ProviderApiError(502, ErrorCodes.ProviderError, provider, $"The connection to provider '{provider}' dropped before the stream ended.");

    /// <summary>An error the provider reported inside an otherwise successful (200) stream.</summary>
    public static ErrorInfo StreamError(string provider, UpstreamErrorBody? body) =>
        ProviderApiError(502, ErrorCodes.ProviderError, provider,
            $"Provider '{provider}' failed mid-stream" + (string.IsNullOrWhiteSpace(body?.Message) ? "." : $": {body!.Message}"),
            ("provider_code", body?.Code));

    public static ErrorInfo NoApiKey(string provider) =>
        ProviderApiError(503, ErrorCodes.ProviderUnavailable, provider, $"Provider '{provider}' is unavailable: the platform has no API key configured for it.");

    public static ErrorInfo CircuitOpen(string provider, TimeSpan? retryAfter)
    {
        var seconds = WholeSeconds(retryAfter);
        return ProviderApiError(503, ErrorCodes.ProviderUnavailable, provider,
            $"Provider '{provider}' is failing repeatedly; requests fail fast until it recovers" + (seconds is { } s ? $" (retry in about {s} s)." : "."),
            ("retry_after", seconds?.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>504: the edge's deadline for the job passed while the provider was working.</summary>
    public static ErrorInfo DeadlinePassed(string provider) =>
        ProviderApiError(504, ErrorCodes.ProviderTimeout, provider, $"The request's deadline passed before provider '{provider}' answered.");

    /// <summary>An api_error about the provider: its name always in the details, then <paramref name="more"/> (empty values left out).</summary>
    private static ErrorInfo ProviderApiError(int status, string code, string provider, string message, params (string Key, string? Value)[] more) => new()
    {
        Status = status,
        Type = ErrorTypes.Api,
        Code = code,
        Message = message,
        Details = Details([("provider", provider), .. more]),
    };

    /// <summary>A Retry-After as the whole seconds a client is told to wait (at least 1).</summary>
    private static int? WholeSeconds(TimeSpan? delay) => delay is { } d ? Math.Max(1, (int)Math.Ceiling(d.TotalSeconds)) : null;

    private static string Status(int status) => status.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Details(params (string Key, string? Value)[] pairs)
    {
        var details = new Dictionary<string, string>();
        foreach (var (key, value) in pairs)
        {
            if (!string.IsNullOrEmpty(value))
            {
                details[key] = value;
            }
        }

        return details;
    }
}
