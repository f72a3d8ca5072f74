namespace CCApi.Gateway;

/// <summary>Error codes the gateway uses beyond the shared <see cref="CCApi.ServiceDefaults.ErrorCodes"/>.</summary>
public static class GatewayErrorCodes
{
    /// <summary>A platform dependency (Redis, the bus, Catalog, JobStatus) is not answering: 503.</summary>
    public const string ServiceUnavailable = "service_unavailable";

    /// <summary>A signed file URL whose signature is wrong or expired: 403.</summary>
    public const string InvalidSignature = "invalid_signature";

    /// <summary>A body that is not application/json: 415.</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";
}
