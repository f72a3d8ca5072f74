using System.Globalization;
using CCApi.Contracts;
using CCApi.Gateway.Accounts;
using CCApi.Storage;
using Microsoft.Extensions.Options;
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
/// Settles a job on its key exactly once (<see cref="CreditScripts.Settle"/>): the actual, priced usage is charged and
/// written to the ledger, and the reservation released; a failed job releases it all. Called inline by the gateway when it
/// has the result, and by <see cref="Consumers.CreditSettlementConsumer"/> on the terminal events — whichever comes first
/// wins, the other changes nothing.
/// </summary>
public sealed class CreditSettlement(IConnectionMultiplexer redis, IOptions<CreditOptions> options, TimeProvider time)
{
    private readonly long _markerSeconds = (long)options.Value.SettledJobTtl.TotalSeconds;
    private readonly TimeSpan _retention = options.Value.LedgerRetention;

    /// <summary>Charges <paramref name="usage"/> (priced by the adapter) for the job and releases its reservation.</summary>
    public Task<(SettleOutcome Outcome, long Charged)> SettleAsync(string keyId, Guid jobId, JobRoute route, JobKind kind, Usage usage) =>
        RunAsync(keyId, jobId, Math.Max(0, Money.ToNanos(usage.Cost)), route, kind, usage);

    /// <summary>Releases the job's reservation without charging (failure, cancellation, timeout, disconnect).</summary>
    public Task<(SettleOutcome Outcome, long Charged)> ReleaseAsync(string keyId, Guid jobId) => RunAsync(keyId, jobId, -1, null, null, null);

    private async Task<(SettleOutcome, long)> RunAsync(string keyId, Guid jobId, long actual, JobRoute? route, JobKind? kind, Usage? usage)
    {
        if (!ApiKeyRepository.IsKeyId(keyId))
        {
            return (SettleOutcome.NoSuchKey, 0);
        }

        var priced = route?.Pricing is { } pricing && !Auth.ApiCaller.IsUnpriced(pricing);
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            CreditScripts.Settle,
            [RedisKeys.ApiKey(keyId), RedisKeys.ApiKeyReservations(keyId), RedisKeys.ApiKeyLedger(keyId), RedisKeys.ApiKeySettledJob(keyId, jobId)],
            [
                jobId.ToString("N"), actual, _markerSeconds, time.GetUtcNow().ToUnixTimeSeconds(),
                route?.Model ?? "", route?.Provider ?? "", kind is { } k ? KindName(k) : "",
                usage?.PromptTokens ?? 0, usage?.CompletionTokens ?? 0, usage?.Images ?? 0, usage?.Characters ?? 0, priced ? 1 : 0,
                (time.GetUtcNow() - _retention).ToUnixTimeMilliseconds(),
            ]))!;
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

    /// <summary>Releases every expired reservation of one key; answers how many.</summary>
    public async Task<long> SweepAsync(string keyId) =>
        (long)(await redis.GetDatabase().ScriptEvaluateAsync(
            CreditScripts.Sweep,
            [RedisKeys.ApiKey(keyId), RedisKeys.ApiKeyReservations(keyId)],
            [time.GetUtcNow().ToUnixTimeMilliseconds()]));

    public static string KindName(JobKind kind) => kind switch
    {
        JobKind.Chat => "chat",
        JobKind.Image => "image",
        _ => "speech",
    };
}
