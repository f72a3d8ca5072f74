using System.Globalization;
using CCApi.JobStatus.Jobs;
using CCApi.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.JobStatus.Webhooks;

public enum WebhookClaimOutcome
{
    /// <summary>This attempt may go ahead; it holds the delivery until its lease ends.</summary>
    Claimed,

    /// <summary>Another attempt holds it (its lease runs until <see cref="WebhookClaim.DueMs"/>).</summary>
    Busy,

    /// <summary>Waiting for a retry due at <see cref="WebhookClaim.DueMs"/>: a stray trigger does not bring it forward.</summary>
    NotDue,

    /// <summary>Nothing to deliver: delivered, failed, dead, no webhook, or the record has expired.</summary>
    Done,
}

public readonly record struct WebhookClaim(WebhookClaimOutcome Outcome, int Attempts, long? DueMs);

public enum WebhookRedeliverOutcome
{
    Started,
    NoJob,
    NoWebhook,
    NotFinished,
    InProgress,
}

/// <summary>
/// A job's webhook delivery, kept in the job's own hash (so it lives and expires with the job, and every script touches
/// one Redis Cluster slot), plus <see cref="RedisKeys.WebhooksDue"/>: job ids scored by when they next need attention
/// (a scheduled retry, or the end of an attempt's lease). The due set is only a trigger: every decision is made by the
/// scripts on the job hash, so a stale or duplicate trigger finds nothing to do.
/// </summary>
public sealed class WebhookStore(IConnectionMultiplexer redis, IOptions<JobsOptions> jobs, TimeProvider time)
{
    /// <summary>
    /// Claim: from "pending" once due, or from "delivering" whose lease has ended or is this attempt's own (a redelivered
    /// message). Returns { 1 claimed | 0 busy | 2 not due | 3 done, attempts, due/lease ms }.
    /// </summary>
    private const string ClaimScript = """
        local key = KEYS[1]
        local f = redis.call('HMGET', key, 'webhook_status', 'webhook_attempts', 'webhook_due_ms', 'webhook_lease', 'webhook_lease_until_ms')
        local status, attempts, due, lease, lease_end = f[1], tonumber(f[2]) or 0, tonumber(f[3]), f[4], tonumber(f[5]) or 0
        local now = tonumber(ARGV[2])
        if status == 'pending' then
          if due and due > now then
            return { 2, attempts, due }
          end
        elseif status == 'delivering' then
          if lease ~= ARGV[1] and lease_end > now then
            return { 0, attempts, lease_end }
          end
        else
          return { 3, attempts, 0 }
        end
        redis.call('HSET', key, 'webhook_status', 'delivering', 'webhook_lease', ARGV[1], 'webhook_lease_until_ms', ARGV[3])
        redis.call('HDEL', key, 'webhook_queued_until_ms')
        return { 1, attempts, tonumber(ARGV[3]) }
        """;

    /// <summary>
    /// Records an attempt's outcome, only while this attempt still holds the delivery. ARGV: lease, status, attempts,
    /// last error, last status code, attempt ms, due ms (when pending), seconds the record must live at least.
    /// </summary>
    private const string RecordScript = """
        local key = KEYS[1]
        local f = redis.call('HMGET', key, 'webhook_status', 'webhook_lease')
        if f[1] ~= 'delivering' or f[2] ~= ARGV[1] then
          return 0
        end
        redis.call('HSET', key, 'webhook_status', ARGV[2], 'webhook_attempts', ARGV[3], 'webhook_last_attempt_ms', ARGV[6])
        redis.call('HDEL', key, 'webhook_lease', 'webhook_lease_until_ms', 'webhook_last_error', 'webhook_last_status_code', 'webhook_due_ms')
        if ARGV[4] ~= '' then redis.call('HSET', key, 'webhook_last_error', ARGV[4]) end
        if ARGV[5] ~= '' then redis.call('HSET', key, 'webhook_last_status_code', ARGV[5]) end
        if ARGV[2] == 'pending' then redis.call('HSET', key, 'webhook_due_ms', ARGV[7]) end
        if ARGV[2] == 'delivered' then redis.call('HSET', key, 'webhook_delivered_ms', ARGV[6]) end
        local ttl = tonumber(ARGV[8])
        if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
        return 1
        """;

    /// <summary>
    /// A new attempt series for a finished job with a webhook, unless an attempt is under way — running (a live lease), or
    /// asked for by a redelivery whose message no attempt has claimed yet (<c>webhook_queued_until_ms</c>, ARGV[3]; the
    /// claim clears it, and it lapses if the message is lost), so concurrent redeliveries start one series, not one each.
    /// Returns 1 started | -1 no job | -2 no webhook | -3 not finished | -4 in progress.
    /// </summary>
    private const string RedeliverScript = """
        local key = KEYS[1]
        if redis.call('EXISTS', key) == 0 then return -1 end
        local f = redis.call('HMGET', key, 'webhook_url', 'state', 'webhook_status', 'webhook_lease_until_ms', 'webhook_queued_until_ms')
        if not f[1] or f[1] == '' then return -2 end
        if f[2] ~= 'completed' and f[2] ~= 'failed' and f[2] ~= 'canceled' then return -3 end
        if not f[3] then return -2 end
        if f[3] == 'delivering' and (tonumber(f[4]) or 0) > tonumber(ARGV[1]) then return -4 end
        if f[3] == 'pending' and (tonumber(f[5]) or 0) > tonumber(ARGV[1]) then return -4 end
        redis.call('HSET', key, 'webhook_status', 'pending', 'webhook_attempts', '0', 'webhook_queued_until_ms', ARGV[3])
        redis.call('HDEL', key, 'webhook_due_ms', 'webhook_lease', 'webhook_lease_until_ms')
        local ttl = tonumber(ARGV[2])
        if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
        return 1
        """;

    /// <summary>Takes up to ARGV[2] due job ids and pushes each one's score to ARGV[3] (a lease: retried if not acted on).</summary>
    private const string TakeDueScript = """
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, id in ipairs(ids) do
          redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
        end
        return ids
        """;

    private readonly TimeSpan _ttl = jobs.Value.Ttl;

    /// <summary>How long a redelivery counts as under way before an attempt claims its message (a lost message frees it then).</summary>
    public static readonly TimeSpan RedeliveryClaimWindow = TimeSpan.FromSeconds(30);

    public async Task<WebhookClaim> ClaimAsync(Guid jobId, string lease, DateTimeOffset leaseUntil)
    {
        var r = (RedisResult[])(await Db.ScriptEvaluateAsync(ClaimScript, [RedisKeys.Job(jobId)],
            [lease, NowMs(), leaseUntil.ToUnixTimeMilliseconds()]))!;
        var outcome = (long)r[0] switch
        {
            1 => WebhookClaimOutcome.Claimed,
            0 => WebhookClaimOutcome.Busy,
            2 => WebhookClaimOutcome.NotDue,
            _ => WebhookClaimOutcome.Done,
        };
        var due = (long)r[2];
        return new WebhookClaim(outcome, (int)(long)r[1], due > 0 ? due : null);
    }

    /// <summary>False when this attempt no longer held the delivery (its lease ended and another attempt took over).</summary>
    public async Task<bool> RecordAsync(Guid jobId, string lease, string status, int attempts, WebhookAttempt attempt, DateTimeOffset at, DateTimeOffset? due)
    {
        var live = due is { } d && d > at ? d - at + _ttl : _ttl;
        var r = await Db.ScriptEvaluateAsync(RecordScript, [RedisKeys.Job(jobId)],
        [
            lease, status, attempts, attempt.Problem ?? "", attempt.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "",
            at.ToUnixTimeMilliseconds(), due?.ToUnixTimeMilliseconds() ?? 0, (long)Math.Ceiling(live.TotalSeconds),
        ]);
        return (long)r == 1;
    }

    public async Task<WebhookRedeliverOutcome> RedeliverAsync(Guid jobId)
    {
        var now = NowMs();
        return (long)await Db.ScriptEvaluateAsync(RedeliverScript, [RedisKeys.Job(jobId)],
            [now, (long)_ttl.TotalSeconds, now + (long)RedeliveryClaimWindow.TotalMilliseconds]) switch
        {
            1 => WebhookRedeliverOutcome.Started,
            -1 => WebhookRedeliverOutcome.NoJob,
            -3 => WebhookRedeliverOutcome.NotFinished,
            -4 => WebhookRedeliverOutcome.InProgress,
            _ => WebhookRedeliverOutcome.NoWebhook,
        };
    }

    /// <summary>Makes the delivery come due at <paramref name="at"/> (only if not already scheduled, with <paramref name="onlyIfAbsent"/>).</summary>
    public Task ScheduleAsync(Guid jobId, DateTimeOffset at, bool onlyIfAbsent = false) =>
        Db.SortedSetAddAsync(RedisKeys.WebhooksDue, jobId.ToString("N"), at.ToUnixTimeMilliseconds(), onlyIfAbsent ? SortedSetWhen.NotExists : SortedSetWhen.Always);

    public Task UnscheduleAsync(Guid jobId) => Db.SortedSetRemoveAsync(RedisKeys.WebhooksDue, jobId.ToString("N"));

    /// <summary>Due deliveries (malformed members dropped); each is pushed back by <paramref name="lease"/> until acted on.</summary>
    public async Task<IReadOnlyList<Guid>> TakeDueAsync(int max, TimeSpan lease)
    {
        var now = time.GetUtcNow();
        var members = (RedisResult[])(await Db.ScriptEvaluateAsync(TakeDueScript, [RedisKeys.WebhooksDue],
            [now.ToUnixTimeMilliseconds(), max, (now + lease).ToUnixTimeMilliseconds()]))!;
        var ids = new List<Guid>(members.Length);
        foreach (var member in members)
        {
            if (Guid.TryParseExact((string?)member, "N", out var id))
            {
                ids.Add(id);
            }
            else
            {
                await Db.SortedSetRemoveAsync(RedisKeys.WebhooksDue, (string?)member);
            }
        }

        return ids;
    }

    private IDatabase Db => redis.GetDatabase();

    private long NowMs() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
