namespace CCApi.Gateway.Idempotency;

/// <summary>The errors of <c>Idempotency-Key</c> handling, all <c>invalid_request_error</c> (Stripe's semantics).</summary>
public static class IdempotencyErrors
{
    public const string Header = "Idempotency-Key";

    /// <summary>409: a request with the same key is still executing.</summary>
    public const string KeyInUse = "idempotency_key_in_use";

    /// <summary>422: the key was used with another request (method, path or body).</summary>
    public const string KeyReused = "idempotency_key_reused";

    /// <summary>409: the request with this key executed, but its response cannot be replayed (too large to save, or a stream its client left).</summary>
    public const string ResponseUnavailable = "idempotency_response_unavailable";

    public static ApiException InvalidHeader(string message) => ApiException.BadField(Header, message);

    public static ApiException InUse() => new(409, ErrorTypes.InvalidRequest, KeyInUse,
        "A request with this Idempotency-Key is still being processed; retry after it has finished.",
        new Dictionary<string, string> { ["param"] = Header })
    {
        ShouldRetry = true, // the one conflict that clears by itself: the SDKs' retries then get the saved response
    };

    public static ApiException Reused() => new(422, ErrorTypes.InvalidRequest, KeyReused,
        "This Idempotency-Key was already used with a different request (method, path or body); use a new key for a new request.",
        new Dictionary<string, string> { ["param"] = Header });

    public static ApiException Unavailable(int originalStatus, string? jobId)
    {
        var details = new Dictionary<string, string>
        {
            ["param"] = Header,
            ["original_status"] = originalStatus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (jobId is not null)
        {
            details["job_id"] = jobId;
        }

        return new ApiException(409, ErrorTypes.InvalidRequest, ResponseUnavailable,
            "The request with this Idempotency-Key was executed, but its response cannot be replayed: it was too large to be saved, "
            + "or it was a stream whose client left; it is not executed again. details.job_id names the job it ran (a chat stream "
            + "resumes from GET /v1/chat/completions/{job_id}/stream). Use a new key to send a new request.", details);
    }

    public static ApiException StoreUnavailable() => new(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable,
        "Idempotency-Key cannot be checked right now (Redis is unavailable); nothing was started. Retry shortly.");
}
