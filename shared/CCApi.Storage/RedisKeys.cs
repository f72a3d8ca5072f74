namespace CCApi.Storage;

/// <summary>
/// Every Redis key of the platform, in one place. Keys of one job share the hash tag <c>{job:id}</c> so multi-key
/// scripts stay on one Redis Cluster slot.
/// </summary>
public static class RedisKeys
{
    public static string Job(Guid jobId) => $"ccapi:{{job:{jobId:N}}}";

    /// <summary>The field of <see cref="Job"/> holding the job's state (a name from <c>JobStates</c>); adapters read it to skip canceled jobs.</summary>
    public const string JobStateField = "state";
    public static string JobStream(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:stream";
    public static string JobStreamChannel(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:notify";

    /// <summary>Where an adapter publishes a streamed image job's partial images (<c>ImagePartials</c>), for the gateway waiting for it.</summary>
    public static string JobPartialsChannel(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:partials";

    /// <summary>Where an adapter publishes a speech job's audio as its provider delivers it (<c>SpeechChunks</c>), for the gateway playing it.</summary>
    public static string JobAudioChannel(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:audio";

    /// <summary>A job's status events (stream): a snapshot of the job record per state or progress change, written by JobStatus' script.</summary>
    public static string JobEvents(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:events";

    /// <summary>Where JobStatus publishes the id of each new <see cref="JobEvents"/> entry.</summary>
    public static string JobEventsChannel(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:events:notify";

    /// <summary>A streaming chat's record (hash): owner key id, model, provider, created, include_usage — what a resume needs.</summary>
    public static string JobStreamRecord(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:stream:record";
    /// <summary>
    /// The pub/sub channel one gateway process hears its synchronous calls' answers on (<c>SynchronousReplies</c>); a new
    /// one per process (<paramref name="listener"/>), never a key.
    /// </summary>
    public static string SynchronousReplies(Guid listener) => $"ccapi:replies:{listener:N}";
    public static string Blob(string blobId) => $"ccapi:{{blob:{blobId}}}";

    /// <summary>An API key's record (hash): everything about the key but the secret. Every per-key key shares <c>{key:id}</c>.</summary>
    public static string ApiKey(string keyId) => $"ccapi:{{key:{keyId}}}";

    /// <summary>
    /// An API key's ledger (stream): credit changes, each with the balance after it, and the usage entries settled before
    /// there were <see cref="ApiKeyUsageEntries"/> (in no rollup). The two streams' ids never collide, so
    /// <c>GET /admin/v1/keys/{id}/ledger</c> lists them merged, by id.
    /// </summary>
    public static string ApiKeyLedger(string keyId) => $"ccapi:{{key:{keyId}}}:ledger";

    /// <summary>
    /// A key's usage entries (stream), one per settled job with the balance after it, each also added to the hourly
    /// rollups (<see cref="ApiKeyUsage"/>); kept for their own, shorter retention: reports past it read the rollups.
    /// </summary>
    public static string ApiKeyUsageEntries(string keyId) => $"ccapi:{{key:{keyId}}}:usage:entries";

    /// <summary>
    /// A key's usage rollups: this sorted set lists the UTC days (days since the epoch, as member and score) that have a
    /// day hash <c>{this}:{day}</c> of hourly sums (fields <c>{hour}:{metric}:{model}</c>), written with each of the key's
    /// <see cref="ApiKeyUsageEntries"/>, so a usage report reads sums instead of every entry.
    /// </summary>
    public static string ApiKeyUsage(string keyId) => $"ccapi:{{key:{keyId}}}:usage";

    /// <summary>One UTC day of a key's usage rollups (hash; see <see cref="ApiKeyUsage"/>).</summary>
    public static string ApiKeyUsageDay(string keyId, long day) => $"ccapi:{{key:{keyId}}}:usage:{day}";

    /// <summary>A key's rate-limit state (hash: <c>rq</c>, <c>tk</c> = GCRA theoretical arrival times in µs), expiring when full again.</summary>
    public static string ApiKeyRateState(string keyId) => $"ccapi:{{key:{keyId}}}:rate";

    /// <summary>A key's requests in flight (sorted set: lease id scored by its expiry in µs) for its concurrency limit.</summary>
    public static string ApiKeyInFlight(string keyId) => $"ccapi:{{key:{keyId}}}:inflight";

    /// <summary>
    /// A key's unfinished asynchronous jobs (sorted set: job id (N) scored by when its slot lapses, in µs of the Redis
    /// clock) for its <c>async_jobs</c> limit: added at admission, removed when the job settles.
    /// </summary>
    public static string ApiKeyAsyncJobs(string keyId) => $"ccapi:{{key:{keyId}}}:async";

    /// <summary>A key's credit reservations (hash: job id (N) → "nano-dollars:expiry unix ms"), released or settled once.</summary>
    public static string ApiKeyReservations(string keyId) => $"ccapi:{{key:{keyId}}}:reservations";

    /// <summary>Marks a job as settled on its key (string with a TTL): a redelivered terminal event finds it and does nothing.</summary>
    public static string ApiKeySettledJob(string keyId, Guid jobId) => $"ccapi:{{key:{keyId}}}:settled:{jobId:N}";

    /// <summary>The key id owning an asynchronous job that holds a reservation (string with a TTL), for events without a route.</summary>
    public static string JobOwner(Guid jobId) => $"ccapi:{{job:{jobId:N}}}:owner";

    /// <summary>Held by the one gateway replica releasing expired reservations right now.</summary>
    public static string CreditSweepLock => "ccapi:{credits}:sweep";

    /// <summary>
    /// One <c>Idempotency-Key</c> of an API key (hash: state, request fingerprint, then the saved response), by the
    /// SHA-256 (hex) of the header value; expires with its in-flight lease, then 24 h after the response was saved.
    /// </summary>
    public static string ApiKeyIdempotency(string keyId, string headerHash) => $"ccapi:{{key:{keyId}}}:idem:{headerHash}";

    /// <summary>SHA-256 (hex) of a key's secret → the key's id (string). The only place the hash leads somewhere.</summary>
    public static string ApiKeyLookup(string keyHash) => $"ccapi:{{keyhash:{keyHash}}}";

    /// <summary>Every key id scored by creation time (unix µs; ms for keys an older gateway created): the admin API's newest-first listing.</summary>
    public static string ApiKeysByCreation => "ccapi:{keys}:created";
    public static string JobIdempotency(Guid jobId, string step) => $"ccapi:{{job:{jobId:N}}}:done:{step}";

    /// <summary>
    /// One minute of model-request traffic summed over every gateway replica (hash: requests, 4xx, 5xx, latency and
    /// overhead histogram buckets), for the operator console; <paramref name="unixMinute"/> = unix seconds / 60.
    /// </summary>
    public static string TrafficMinute(long unixMinute) => $"ccapi:{{stats}}:m:{unixMinute}";

    /// <summary>The newest asynchronous jobs (sorted set: job id (N) scored by creation, unix ms), trimmed to a fixed size: the operator console's job list.</summary>
    public static string RecentAsyncJobs => "ccapi:{jobs}:recent";

    /// <summary>JobStatus' index of jobs not yet terminal: a sorted set of job ids (N format) scored by deadline (unix ms).</summary>
    public static string ActiveJobsByDeadline => "ccapi:{jobs}:active";

    /// <summary>JobStatus' webhook deliveries needing attention: job ids (N format) scored by when (unix ms): a retry, or an attempt's lease end.</summary>
    public static string WebhooksDue => "ccapi:{webhooks}:due";
}
