using System.Text.Json;
using CCApi.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// Remembers a finished job's outcome (next to the job's other keys), so that a redelivered command answers with the SAME
/// result instead of calling — and paying — the provider a second time.
/// </summary>
public sealed class JobResultCache(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider time)
{
    /// <summary>
    /// How long past its command's deadline an outcome is kept: the command's time-to-live in the broker ends at that
    /// deadline and <see cref="AdapterJobRunner"/> never runs a command past it, so no redelivery needs the outcome later;
    /// the margin covers clocks that differ between the gateway that set the deadline and this adapter.
    /// </summary>
    public static readonly TimeSpan DeadlineMargin = TimeSpan.FromMinutes(5);

    public async Task<T?> GetAsync<T>(Guid jobId, string step)
        where T : class
    {
        var value = await redis.GetDatabase().StringGetAsync(RedisKeys.JobIdempotency(jobId, step));
        return value.IsNull ? null : JsonSerializer.Deserialize<T>((string)value!);
    }

    /// <summary>
    /// Stores the outcome until <paramref name="deadline"/> + <see cref="DeadlineMargin"/> (a synchronous job's command
    /// carries one: seconds to minutes), or without a deadline as long as the job's blobs
    /// (<see cref="RedisOptions.BlobTtl"/>) — never longer than that.
    /// </summary>
    public Task SetAsync<T>(Guid jobId, string step, T outcome, DateTimeOffset? deadline = null)
        where T : class =>
        SetJsonAsync(jobId, step, SynchronousReplies.Serialize(outcome), deadline);

    /// <summary>
    /// <see cref="SetAsync{T}"/> with the outcome's JSON already made (<see cref="SynchronousReplies.Serialize"/>): the same
    /// bytes the synchronous answer carries, serialized once for both.
    /// </summary>
    public Task SetJsonAsync(Guid jobId, string step, byte[] json, DateTimeOffset? deadline = null) =>
        redis.GetDatabase().StringSetAsync(RedisKeys.JobIdempotency(jobId, step), json, Ttl(deadline));

    private TimeSpan Ttl(DateTimeOffset? deadline)
    {
        var longest = options.Value.BlobTtl;
        if (deadline is not { } d)
        {
            return longest;
        }

        var needed = d - time.GetUtcNow() + DeadlineMargin;
        return needed < DeadlineMargin ? DeadlineMargin : needed > longest ? longest : needed;
    }
}
