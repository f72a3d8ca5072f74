using System.Globalization;
using CCApi.Gateway.Accounts;
using StackExchange.Redis;

namespace CCApi.Gateway.Credits;

/// <summary>What a settlement did.</summary>
public enum SettleOutcome
{
    Settled,
    Released,
    Duplicate,
    NoSuchKey,
}

/// <summary>
/// Settles a job on its key exactly once (<see cref="CreditScripts.Settle"/>): the actual, priced usage is charged (keys
/// with credits) and written to the key's usage entries and rollups (every key: spend per key), and the reservation
/// released; a failed job releases it all. The gateway settles what it finishes itself (synchronous jobs, streams) without waiting for Redis, folding the
/// request's rate-limit lease into the same call; <see cref="Consumers.CreditSettlementConsumer"/> settles asynchronous
/// jobs from their terminal events; <see cref="ReservationSweeper"/> settles what a dead gateway left, from the job's
/// record. Whichever comes first wins, the others change nothing.
/// </summary>
public sealed class CreditSettlement(IConnectionMultiplexer redis, IOptions<CreditOptions> options, TimeProvider time)
{
    private readonly long _markerSeconds = (long)options.Value.SettledJobTtl.TotalSeconds;
    private readonly TimeSpan _entryRetention = options.Value.UsageEntryRetention;
    private readonly long _rollupRetentionMs = (long)options.Value.LedgerRetention.TotalMilliseconds;

    /// <summary>Charges <paramref name="usage"/> (priced by the adapter) for the job and releases its reservation.</summary>
    /// <param name="priced">Whether the model had a price (the ledger's <c>cost_usd</c> is null otherwise); default: the route's pricing says.</param>
    public async Task<(SettleOutcome Outcome, long Charged)> SettleAsync(string keyId, Guid jobId, JobRoute route, JobKind kind, Usage usage, LeaseRelease? lease = null, bool? priced = null) =>
        Outcome(await RunAsync(keyId, jobId, Math.Max(0, Money.ToNanos(usage.Cost)), route, kind, usage, lease, CommandFlags.None, priced));

    /// <summary>
    /// <see cref="SettleAsync"/> without waiting for the answer (the request path: the response does not depend on it).
    /// Redis runs one connection's commands in order, so this replica's later reads (GET /v1/key) see it; a call lost to
    /// a Redis failure leaves the reservation to <see cref="ReservationSweeper"/>, which settles it from the job's record.
    /// </summary>
    public void SettleWithoutWaiting(string keyId, Guid jobId, JobRoute route, JobKind kind, Usage usage, LeaseRelease? lease) =>
        _ = RunAsync(keyId, jobId, Math.Max(0, Money.ToNanos(usage.Cost)), route, kind, usage, lease, CommandFlags.FireAndForget, null);

    /// <summary>Releases the job's reservation without charging (failure, cancellation, timeout, disconnect).</summary>
    public async Task<(SettleOutcome Outcome, long Charged)> ReleaseAsync(string keyId, Guid jobId, LeaseRelease? lease = null) =>
        Outcome(await RunAsync(keyId, jobId, -1, null, null, null, lease, CommandFlags.None, null));

    private Task<RedisResult> RunAsync(string keyId, Guid jobId, long actual, JobRoute? route, JobKind? kind, Usage? usage, LeaseRelease? lease, CommandFlags flags, bool? priced)
    {
        if (!ApiKeyRepository.IsKeyId(keyId))
        {
            return Task.FromResult(RedisResult.Create(RedisValue.Null));
        }

        var now = time.GetUtcNow();
        priced ??= route?.Pricing is { } pricing && !Auth.ApiCaller.IsUnpriced(pricing);
        RedisKey[] keys = lease is null
            ? [RedisKeys.ApiKey(keyId), RedisKeys.ApiKeyReservations(keyId), RedisKeys.ApiKeyUsageEntries(keyId), RedisKeys.ApiKeySettledJob(keyId, jobId),
                RedisKeys.ApiKeyUsage(keyId), RedisKeys.ApiKeyLedger(keyId), RedisKeys.ApiKeyAsyncJobs(keyId)]
            : [RedisKeys.ApiKey(keyId), RedisKeys.ApiKeyReservations(keyId), RedisKeys.ApiKeyUsageEntries(keyId), RedisKeys.ApiKeySettledJob(keyId, jobId),
                RedisKeys.ApiKeyUsage(keyId), RedisKeys.ApiKeyLedger(keyId), RedisKeys.ApiKeyAsyncJobs(keyId),
                RedisKeys.ApiKeyRateState(keyId), RedisKeys.ApiKeyInFlight(keyId)];
        RedisValue[] arguments =
        [
            jobId.ToString("N"), actual, _markerSeconds, now.ToUnixTimeSeconds(),
            route?.Model ?? "", route?.Provider ?? "", kind is { } k ? KindName(k) : "",
            usage?.PromptTokens ?? 0, usage?.CompletionTokens ?? 0, usage?.Images ?? 0, usage?.Characters ?? 0, priced.Value ? 1 : 0,
            (now - _entryRetention).ToUnixTimeMilliseconds(), _rollupRetentionMs,
            lease?.LeaseId ?? "", lease?.Tpm ?? 0, lease?.TokenCorrection ?? 0,
            usage?.CachedPromptTokens ?? 0,
        ];
        return redis.GetDatabase().ScriptEvaluateAsync(CreditScripts.Settle, keys, arguments, flags);
    }

    private static (SettleOutcome, long) Outcome(RedisResult answer)
    {
        if (answer.IsNull)
        {
            return (SettleOutcome.NoSuchKey, 0);
        }

        var result = (RedisResult[])answer!;
        var charged = long.Parse((string)result[2]!, CultureInfo.InvariantCulture);
        return ((string?)result[0]) switch
        {
            "settled" => (SettleOutcome.Settled, charged),
            "released" => (SettleOutcome.Released, 0),
            "duplicate" => (SettleOutcome.Duplicate, 0),
            _ => (SettleOutcome.NoSuchKey, 0),
        };
    }

    /// <summary>
    /// Remembers which key an asynchronous job belongs to, for terminal events without a route (JobCanceled); without
    /// waiting (a lost write leaves the reservation to its expiry).
    /// </summary>
    public void RememberOwner(Guid jobId, string keyId) =>
        redis.GetDatabase().StringSet(RedisKeys.JobOwner(jobId), keyId, options.Value.AsyncJobHold + options.Value.SettledJobTtl, flags: CommandFlags.FireAndForget);

    /// <summary>The key owning an asynchronous job, or null.</summary>
    public async Task<string?> OwnerOfAsync(Guid jobId) => await redis.GetDatabase().StringGetAsync(RedisKeys.JobOwner(jobId));

    /// <summary>
    /// The reservations of the key whose expiry has passed (their fields: a job id in "N" form, or whatever a damaged
    /// entry holds); empty for almost every key on almost every sweep, which then costs this one read.
    /// </summary>
    public async Task<IReadOnlyList<string>> ExpiredReservationsAsync(string keyId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var expired = new List<string>();
        foreach (var entry in await redis.GetDatabase().HashGetAllAsync(RedisKeys.ApiKeyReservations(keyId)))
        {
            var value = (string?)entry.Value ?? "";
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var expiry) && expiry <= now)
            {
                expired.Add((string)entry.Name!);
            }
        }

        return expired;
    }

    /// <summary>Releases every expired reservation of one key (what is left once the sweeper settled the finished ones); answers how many.</summary>
    public async Task<long> SweepAsync(string keyId) =>
        (long)(await redis.GetDatabase().ScriptEvaluateAsync(
            CreditScripts.Sweep,
            [RedisKeys.ApiKey(keyId), RedisKeys.ApiKeyReservations(keyId)],
            [time.GetUtcNow().ToUnixTimeMilliseconds()]));

    /// <summary>The kind a name written by <see cref="KindName"/> stands for; null for anything else.</summary>
    public static JobKind? KindOf(string? name) => name switch
    {
        "chat" => JobKind.Chat,
        "image" => JobKind.Image,
        "speech" => JobKind.Speech,
        _ => null,
    };

    public static string KindName(JobKind kind) => kind switch
    {
        JobKind.Chat => "chat",
        JobKind.Image => "image",
        _ => "speech",
    };
}
