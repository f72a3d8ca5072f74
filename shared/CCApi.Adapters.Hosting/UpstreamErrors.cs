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
    public static UpstreamErrorBody? Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

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
        catch (JsonException)
        {
            return null;
        }
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
                return new ErrorInfo
                {
                    Status = 502,
                    Type = ErrorTypes.Api,
                    Code = ErrorCodes.ProviderAuthFailed,
                    Message = $"Provider '{provider}' refused the platform's credentials (HTTP {status}). Your CCAPI API key is fine: " +
                              "the platform's key for this provider is missing permissions, revoked or wrong; contact the platform operator.",
                    Details = Details(("provider", provider), ("upstream_status", Status(status))),
                };
            case 429:
                var seconds = retryAfter is { } r ? Math.Max(1, (int)Math.Ceiling(r.TotalSeconds)) : (int?)null;
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
                return new ErrorInfo
                {
                    Status = 502,
                    Type = ErrorTypes.Api,
                    Code = ErrorCodes.ProviderError,
                    Message = $"Provider '{provider}' failed (HTTP {status})" + (said is null ? "." : $": {said}"),
                    Details = Details(("provider", provider), ("upstream_status", Status(status))),
                };
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

    public static ErrorInfo Timeout(string provider, TimeSpan? after, int? upstreamStatus = null) => new()
    {
        Status = 504,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderTimeout,
        Message = upstreamStatus is { } s
            ? $"Provider '{provider}' timed out (HTTP {s})."
            : $"Provider '{provider}' did not answer" + (after is { } a ? $" within {a.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s." : " in time."),
        Details = Details(("provider", provider), ("upstream_status", upstreamStatus is { } u ? Status(u) : null)),
    };

    public static ErrorInfo Unreachable(string provider) => new()
    {
        Status = 502,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderError,
        Message = $"Provider '{provider}' could not be reached.",
        Details = Details(("provider", provider)),
    };

    public static ErrorInfo Malformed(string provider, string what) => new()
    {
        Status = 502,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderError,
        Message = $"Provider '{provider}' returned a malformed response ({what}).",
        Details = Details(("provider", provider)),
    };

    /// <summary>502: the provider itself failed in a way no status code describes (a local tool missing or crashing).</summary>
    public static ErrorInfo ProviderFailed(string provider, string message) => new()
    {
        Status = 502,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderError,
        Message = message,
        Details = Details(("provider", provider)),
    };

    public static ErrorInfo DroppedMidStream(string provider) => new()
    {
        Status = 502,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderError,
        Message = $"The connection to provider '{provider}' dropped before the stream ended.",
        Details = Details(("provider", provider)),
    };

    /// <summary>An error the provider reported inside an otherwise successful (200) stream.</summary>
    public static ErrorInfo StreamError(string provider, UpstreamErrorBody? body) => new()
    {
        Status = 502,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderError,
        Message = $"Provider '{provider}' failed mid-stream" + (string.IsNullOrWhiteSpace(body?.Message) ? "." : $": {body!.Message}"),
        Details = Details(("provider", provider), ("provider_code", body?.Code)),
    };

    public static ErrorInfo NoApiKey(string provider) => new()
    {
        Status = 503,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderUnavailable,
        Message = $"Provider '{provider}' is unavailable: the platform has no API key configured for it.",
        Details = Details(("provider", provider)),
    };

    public static ErrorInfo CircuitOpen(string provider, TimeSpan? retryAfter) => new()
    {
        Status = 503,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderUnavailable,
        Message = $"Provider '{provider}' is failing repeatedly; requests fail fast until it recovers" +
                  (retryAfter is { } r ? $" (retry in about {Math.Max(1, (int)Math.Ceiling(r.TotalSeconds))} s)." : "."),
        Details = Details(("provider", provider), ("retry_after", retryAfter is { } ra ? Math.Max(1, (int)Math.Ceiling(ra.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : null)),
    };

    /// <summary>504: the edge's deadline for the job passed while the provider was working.</summary>
    public static ErrorInfo DeadlinePassed(string provider) => new()
    {
        Status = 504,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderTimeout,
        Message = $"The request's deadline passed before provider '{provider}' answered.",
        Details = Details(("provider", provider)),
    };

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
