using System.Text.Json;
using CCApi.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// Remembers a finished job's outcome (next to the job's other keys, for as long as its blobs live), so that a
/// redelivered command answers with the SAME result instead of calling — and paying — the provider a second time.
/// </summary>
public sealed class JobResultCache(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
{
    public async Task<T?> GetAsync<T>(Guid jobId, string step)
        where T : class
    {
        var value = await redis.GetDatabase().StringGetAsync(RedisKeys.JobIdempotency(jobId, step));
        return value.IsNull ? null : JsonSerializer.Deserialize<T>((string)value!);
    }

    public Task SetAsync<T>(Guid jobId, string step, T outcome)
        where T : class =>
        redis.GetDatabase().StringSetAsync(RedisKeys.JobIdempotency(jobId, step), JsonSerializer.Serialize(outcome), options.Value.BlobTtl);
}
