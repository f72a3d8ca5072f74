using CCApi.Adapters.Hosting;

namespace CCApi.Adapters.ImaginePro.Jobs;

/// <summary>The provider jobs (message ids) submitted for one CCAPI job, and when the first was submitted.</summary>
public sealed record ImagineProTasks(DateTimeOffset SubmittedAt, IReadOnlyList<string> MessageIds);

/// <summary>
/// Remembers the message ids ImaginePro handed out for a job, in Redis next to the job's other keys (the result cache's
/// key <c>RedisKeys.JobIdempotency(jobId, "imaginepro-tasks")</c>, kept as long as the job's blobs). Written after every
/// accepted submission and before any poll, so a redelivered command resumes polling the same provider jobs instead of
/// submitting — and paying for — them again.
/// </summary>
public sealed class ImagineProTaskStore(JobResultCache cache)
{
    public const string Step = "imaginepro-tasks";

    public Task<ImagineProTasks?> GetAsync(Guid jobId) => cache.GetAsync<ImagineProTasks>(jobId, Step);

    public Task SaveAsync(Guid jobId, ImagineProTasks tasks) => cache.SetAsync(jobId, Step, tasks);
}
