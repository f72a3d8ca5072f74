namespace CCApi.Storage;

/// <summary>
/// Every Redis key of the platform, in one place. Keys of one job share the hash tag <c>{job:id}</c> so multi-key
/// scripts stay on one Redis Cluster slot.
/// </summary>
public static class RedisKeys
{
    public static string Job(Guid jobId) => $"ccapi:{{job:{jobId:N}}}";
    public static string JobStream(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:stream";
    public static string JobStreamChannel(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:notify";
    public static string Blob(string blobId) => $"ccapi:{{blob:{blobId}}}";

    /// <summary>An API key's record (hash): everything about the key but the secret. Every per-key key shares <c>{key:id}</c>.</summary>
    public static string ApiKey(string keyId) => $"ccapi:{{key:{keyId}}}";

    /// <summary>An API key's ledger (stream): credit changes, later settlements, each with the balance after it.</summary>
    public static string ApiKeyLedger(string keyId) => $"ccapi:{{key:{keyId}}}:ledger";

    /// <summary>A key's rate-limit state (hash: <c>rq</c>, <c>tk</c> = GCRA theoretical arrival times in µs), expiring when full again.</summary>
    public static string ApiKeyRateState(string keyId) => $"ccapi:{{key:{keyId}}}:rate";

    /// <summary>A key's requests in flight (sorted set: lease id scored by its expiry in µs) for its concurrency limit.</summary>
    public static string ApiKeyInFlight(string keyId) => $"ccapi:{{key:{keyId}}}:inflight";

    /// <summary>SHA-256 (hex) of a key's secret → the key's id (string). The only place the hash leads somewhere.</summary>
    public static string ApiKeyLookup(string keyHash) => $"ccapi:{{keyhash:{keyHash}}}";

    /// <summary>Every key id scored by creation time (unix ms): the admin API's newest-first listing.</summary>
    public static string ApiKeysByCreation => "ccapi:{keys}:created";
    public static string JobIdempotency(Guid jobId, string step) => $"ccapi:{{job:{jobId:N}}}:done:{step}";

    /// <summary>
    /// One minute of model-request traffic summed over every gateway replica (hash: requests, 4xx, 5xx, latency and
    /// overhead histogram buckets), for the operator console; <paramref name="unixMinute"/> = unix seconds / 60.
    /// </summary>
    public static string TrafficMinute(long unixMinute) => $"ccapi:{{stats}}:m:{unixMinute}";

    /// <summary>JobStatus' index of jobs not yet terminal: a sorted set of job ids (N format) scored by deadline (unix ms).</summary>
    public static string ActiveJobsByDeadline => "ccapi:{jobs}:active";
}
