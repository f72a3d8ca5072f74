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
    public static string ApiKey(string keyHash) => $"ccapi:{{key:{keyHash}}}";
    public static string JobIdempotency(Guid jobId, string step) => $"ccapi:{{job:{jobId:N}}}:done:{step}";

    /// <summary>JobStatus' index of jobs not yet terminal: a sorted set of job ids (N format) scored by deadline (unix ms).</summary>
    public static string ActiveJobsByDeadline => "ccapi:{jobs}:active";
}
