namespace CCApi.Gateway.Http;

/// <summary>
/// <c>x-ccapi-job-id</c>: every admitted model response names its job — its 32 hex digits, the id without its kind's
/// prefix — as the ledger's <c>usage.job_id</c> does with the prefix (<see cref="PublicIds"/>). Audio bytes and event
/// streams have no body to carry an id; a streaming chat's is the <c>{id}</c> of its resume route. Idempotent replays
/// repeat it, and browsers may read it (CORS exposes it).
/// </summary>
public static class JobIds
{
    public const string Header = "x-ccapi-job-id";

    /// <summary>Names <paramref name="jobId"/> on the response (a failover candidate's job replaces the previous one's).</summary>
    public static void Name(HttpResponse response, Guid jobId) => response.Headers[Header] = jobId.ToString("N");
}
