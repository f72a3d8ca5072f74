using System.Text.Json.Serialization;
using CCApi.Contracts;

namespace CCApi.ServiceDefaults;

/// <summary>
/// The CCAPI error object: <c>{"error":{"message","type","code","details"}}</c>, plus OpenAI's <c>param</c> when the
/// error is about one field.
/// </summary>
public sealed record ErrorObject(
    string Message,
    string Type,
    string? Code = null,
    IReadOnlyDictionary<string, string>? Details = null)
{
    /// <summary>
    /// The request field (or header) the error is about, <c>details.param</c> repeated where OpenAI's error object has it:
    /// the OpenAI SDKs read it from there (<c>error.param</c> in Node, <c>e.param</c> in Python). Absent otherwise.
    /// </summary>
    public string? Param => Details?.GetValueOrDefault("param");
}

public sealed record ErrorResponse(ErrorObject Error);

/// <summary>The error types and codes used across the platform (spec §4).</summary>
public static class ErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Billing = "billing_error";
    public const string RateLimit = "rate_limit_error";
    public const string Api = "api_error";

    /// <summary>403: the key is valid but may not do this (e.g. a model outside its allow-list).</summary>
    public const string Permission = "permission_error";
}

public static class ErrorCodes
{
    public const string Unauthorized = "unauthorized";
    public const string InvalidRequest = "invalid_request";
    public const string MissingField = "missing_field";
    public const string InvalidJson = "invalid_json";
    public const string ModelNotFound = "model_not_found";
    public const string UnsupportedParameter = "unsupported_parameter";
    public const string NotFound = "not_found";
    public const string RateLimitExceeded = "rate_limit_exceeded";
    public const string InternalError = "internal_error";
    public const string ProviderError = "provider_error";
    public const string ProviderTimeout = "provider_timeout";
    public const string ProviderUnavailable = "provider_unavailable";
    public const string ProviderAuthFailed = "provider_auth_failed";

    /// <summary>A platform dependency (Redis, the bus, Catalog, JobStatus) is not answering: 503.</summary>
    public const string ServiceUnavailable = "service_unavailable";
    public const string Timeout = "timeout";
    public const string Canceled = "canceled";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
}

/// <summary>Thrown anywhere in request handling to answer with a CCAPI error; the handler renders it.</summary>
public sealed class ApiException : Exception
{
    public ApiException(int status, string type, string? code, string message, IReadOnlyDictionary<string, string>? details = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Code = code;
        Details = details;
    }

    /// <summary>The response header the OpenAI SDKs read before retrying (they retry 408, 409, 429 and 5xx unless it says false).</summary>
    public const string ShouldRetryHeader = "x-should-retry";

    public int Status { get; }
    public string Type { get; }
    public string? Code { get; }
    public IReadOnlyDictionary<string, string>? Details { get; }

    /// <summary>
    /// What <see cref="ShouldRetryHeader"/> tells the client; null leaves it to the status: false for a 409 (a conflict with
    /// the state of what was asked for — a job already ended, no webhook to redeliver — which a retry finds unchanged,
    /// where the SDKs would send it twice more), absent otherwise. A conflict that clears by itself says true.
    /// </summary>
    public bool? ShouldRetry { get; init; }

    /// <summary>The value of <see cref="ShouldRetryHeader"/> for this error, or null for none.</summary>
    public string? ShouldRetryValue => (ShouldRetry ?? (Status == 409 ? false : null)) switch
    {
        true => "true",
        false => "false",
        null => null,
    };

    public ErrorResponse ToResponse() => new(new ErrorObject(Message, Type, Code, Details));

    public ErrorInfo ToErrorInfo() => new() { Message = Message, Type = Type, Code = Code, Status = Status, Details = Details };

    public static ApiException FromErrorInfo(ErrorInfo e) => new(e.Status, e.Type, e.Code, e.Message, e.Details);

    /// <summary>400 naming the offending field in the message and in <c>details.param</c>.</summary>
    public static ApiException BadField(string field, string message, string code = ErrorCodes.InvalidRequest) =>
        new(400, ErrorTypes.InvalidRequest, code, message, new Dictionary<string, string> { ["param"] = field });

    public static ApiException Missing(string field) =>
        BadField(field, $"'{field}' is required.", ErrorCodes.MissingField);

    /// <summary>
    /// 400 naming <c>body</c>: the request body could not be read — its framing is broken (a bad chunk), it ended before
    /// its Content-Length, or it stalled mid-way (the server's minimum data rate). The reader's words, without pointers
    /// to server settings (Kestrel's "See MinRequestBodyDataRate.").
    /// </summary>
    public static ApiException UnreadableBody(IOException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var reason = exception.Message;
        var see = reason.IndexOf(" See ", StringComparison.Ordinal);
        if (see > 0)
        {
            reason = reason[..see];
        }

        return BadField("body", $"The request body could not be read: {reason}");
    }

    public static ApiException NotFound(string what) =>
        new(404, ErrorTypes.InvalidRequest, ErrorCodes.NotFound, what);

    public static ApiException Unauthorized() =>
        new(401, ErrorTypes.InvalidRequest, ErrorCodes.Unauthorized, "Missing or invalid Authorization header");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class ErrorJsonContext : JsonSerializerContext
{
    /// <summary>Like <see cref="JsonSerializerContext"/>'s default, but messages keep their quotes readable (no \u0027).</summary>
    public static ErrorJsonContext Relaxed { get; } = new(CcapiJson.Readable());
}
