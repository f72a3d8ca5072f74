using System.Globalization;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.JobStatus.Jobs;

public enum JobWriteOutcome
{
    /// <summary>Nothing changed (a redelivery, a late or lower-ranked event, a job already final).</summary>
    Ignored,

    Applied,

    /// <summary>The record does not exist and the change may not create it.</summary>
    Missing,
}

/// <summary>
/// What a write left behind: the record's state and webhook status after the script ran, and whether this write created
/// the record (then no earlier change of the job can have put it on the sweeper's watch list).
/// </summary>
public readonly record struct JobWriteResult(JobWriteOutcome Outcome, string? State, string? WebhookStatus, bool Created = false)
{
    public bool IsTerminal => JobStates.IsTerminal(State);

    /// <summary>The job is final and its webhook has not been picked up for delivery yet.</summary>
    public bool WebhookDue => IsTerminal && WebhookStatus == WebhookStates.Pending;
}

/// <summary>
/// Job records in Redis: one hash per job (<see cref="RedisKeys.Job"/>), written ONLY through <see cref="Script"/>, which
/// enforces the state machine atomically on the server. Also the index of non-terminal jobs by deadline, for the sweeper
/// (a separate key on another Redis Cluster slot, so it is kept beside the script rather than inside it).
/// </summary>
public sealed class JobStore(IConnectionMultiplexer redis, IOptions<JobsOptions> options, TimeProvider time)
{
    /// <summary>
    /// The one writer of job records. Ranks and terminality come from <see cref="JobStates"/> (pending 0 &lt;
    /// processing 1 &lt; completed = failed = canceled 2, the terminal rank).
    /// <list type="bullet">
    /// <item>op "apply": create the record if absent (when allowed); overwrite/fill identity fields; move to the target
    /// state only when it raises the rank and the job is not terminal — the result fields are written only with that
    /// transition, so the first terminal event wins and nothing changes a final job's state or result; raise progress
    /// (never lower, never after the end); mark a due webhook "pending" when a job with a webhook_url ends (an async job, or a
    /// synchronous one registered for its webhook: only a registration writes webhook_url);
    /// stamp <c>updated</c> and refresh the TTL only when something changed (a redelivery changes nothing).</item>
    /// <item>op "webhook": record delivery status and attempts, never leaving a final delivery status; with an expected
    /// current status, only from that one (how a delivery claims a webhook).</item>
    /// </list>
    /// Every applied change that creates the record or changes its state or progress appends a snapshot of the whole
    /// record to the job's event stream (KEYS[2], <see cref="RedisKeys.JobEvents"/>, same TTL) and publishes the entry id
    /// on KEYS[3]: the status stream (<see cref="JobEvents"/>) reads it. Progress only rises and states only rise in rank,
    /// so a job has at most ~100 entries. A record created already final (a synchronous chat or speech job: its first
    /// event is its outcome) gets no entry: nobody can be following a job that had no record (the status stream answers
    /// 404 until there is one), and a later reader is served the record itself (<see cref="JobEvents.SnapshotId"/>) — one
    /// write, one stream key, one publish less per synchronous call — and lives <see cref="JobsOptions.SynchronousTtl"/>
    /// instead of <see cref="JobsOptions.Ttl"/>.
    /// Returns { 1 applied | 0 ignored | -1 missing, state, webhook_status }.
    /// </summary>
    internal static readonly string Script = $$"""
        local key = KEYS[1]
        local rank = {{JobStates.LuaRanks}}
        local final = {{JobStates.TerminalRank.ToString(CultureInfo.InvariantCulture)}}
        local created = 0
        local function outcome(applied)
          local f = redis.call('HMGET', key, 'state', 'webhook_status')
          return { applied, f[1] or '', f[2] or '', created }
        end

        if redis.call('EXISTS', key) == 0 and (ARGV[1] ~= 'apply' or ARGV[6] ~= '1') then
          return { -1, '', '' }
        end

        if ARGV[1] == 'webhook' then
          local current = redis.call('HGET', key, 'webhook_status')
          if (not current) or current == 'delivered' or current == 'failed' or (ARGV[6] ~= '' and current ~= ARGV[6]) then
            return outcome(0)
          end
          redis.call('HSET', key, 'webhook_status', ARGV[4])
          if ARGV[5] ~= '' then
            redis.call('HSET', key, 'webhook_attempts', ARGV[5])
          end
          return outcome(1)
        end

        local changed = false
        local visible = false -- a new record, state or progress: one entry in the job's event stream
        local state = redis.call('HGET', key, 'state')
        if not state then
          state = 'pending'
          redis.call('HSET', key, 'state', state, 'created', ARGV[7], 'progress', '0')
          created = 1
          changed = true
          visible = true
        end

        local i = 9
        local n = tonumber(ARGV[i]); i = i + 1
        for _ = 1, n do
          if redis.call('HGET', key, ARGV[i]) ~= ARGV[i + 1] then
            redis.call('HSET', key, ARGV[i], ARGV[i + 1])
            changed = true
          end
          i = i + 2
        end
        n = tonumber(ARGV[i]); i = i + 1
        for _ = 1, n do
          if redis.call('HSETNX', key, ARGV[i], ARGV[i + 1]) == 1 then
            changed = true
          end
          i = i + 2
        end

        local target = ARGV[4]
        local current = rank[state] or 0
        if target ~= '' and current < final and rank[target] > current then
          state = target
          redis.call('HSET', key, 'state', state)
          changed = true
          visible = true
          if rank[state] == final then
            n = tonumber(ARGV[i]); i = i + 1
            for _ = 1, n do
              redis.call('HSET', key, ARGV[i], ARGV[i + 1])
              i = i + 2
            end
            if state == 'completed' then
              redis.call('HSET', key, 'progress', '100')
            end
            local hook = redis.call('HGET', key, 'webhook_url')
            if hook and hook ~= '' then
              redis.call('HSET', key, 'webhook_status', 'pending')
            end
          end
        end

        local progress = tonumber(ARGV[5])
        if progress and (rank[state] or 0) < final and progress > (tonumber(redis.call('HGET', key, 'progress')) or 0) then
          redis.call('HSET', key, 'progress', progress)
          changed = true
          visible = true
        end

        if changed then
          local arrivedFinal = created == 1 and rank[state] == final
          redis.call('HSET', key, 'updated', ARGV[2])
          redis.call('EXPIRE', key, arrivedFinal and ARGV[8] or ARGV[3])
          if visible and not arrivedFinal then
            -- The whole record as it now is, in the same script: no reader sees a state the stream lacks, or the reverse.
            local id = redis.call('XADD', KEYS[2], '*', unpack(redis.call('HGETALL', key)))
            redis.call('EXPIRE', KEYS[2], ARGV[3])
            redis.call('PUBLISH', KEYS[3], id)
          end
          return outcome(1)
        end
        return outcome(0)
        """;

    private readonly JobsOptions _options = options.Value;

    public async Task<JobWriteResult> ApplyAsync(JobChange change)
    {
        var args = new List<RedisValue>
        {
            "apply", Now(), Ttl(),
            change.Target is { } target ? JobStates.Name(target) : "",
            change.Progress?.ToString(CultureInfo.InvariantCulture) ?? "",
            change.MayCreate ? "1" : "0",
            change.Timestamp.ToUnixTimeSeconds(),
            (long)_options.SynchronousTtl.TotalSeconds,
        };
        AddPairs(args, change.Overwrite);
        AddPairs(args, change.Fill);
        AddPairs(args, change.Result);
        return await EvaluateAsync(change.JobId, args);
    }

    /// <summary>
    /// Records webhook delivery progress; ignored once delivery is final, when the job has no webhook, or when
    /// <paramref name="expected"/> is given and is not the current status.
    /// </summary>
    public Task<JobWriteResult> SetWebhookStatusAsync(Guid jobId, string status, int? attempts, string? expected = null) =>
        EvaluateAsync(jobId, ["webhook", Now(), Ttl(), status, attempts?.ToString(CultureInfo.InvariantCulture) ?? "", expected ?? ""]);

    public async Task<JobView?> GetAsync(Guid jobId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(RedisKeys.Job(jobId));
        return entries.Length == 0 ? null : Read(jobId, entries.ToDictionary(e => (string)e.Name!, e => (string?)e.Value));
    }

    /// <summary>How many of the newest asynchronous jobs <see cref="RecentAsync"/> can list.</summary>
    public const int RecentJobsKept = 1000;

    /// <summary>Adds an asynchronous job to the newest-jobs index (the operator console's list), dropping the oldest beyond <see cref="RecentJobsKept"/>.</summary>
    public Task RememberRecentAsync(Guid jobId)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.SortedSetAddAsync(RedisKeys.RecentAsyncJobs, jobId.ToString("N"), time.GetUtcNow().ToUnixTimeMilliseconds(), When.NotExists);
        _ = transaction.SortedSetRemoveRangeByRankAsync(RedisKeys.RecentAsyncJobs, 0, -(RecentJobsKept + 1));
        return transaction.ExecuteAsync();
    }

    /// <summary>
    /// The newest asynchronous jobs still on record, newest first, from just after <paramref name="after"/> when given (a
    /// cursor: the last job of the page before); one more is read to tell whether there are more. Null when
    /// <paramref name="after"/> is not in the index (never listed, or older than the newest <see cref="RecentJobsKept"/>).
    /// </summary>
    public async Task<(IReadOnlyList<JobView> Jobs, bool HasMore)?> RecentAsync(int limit, Guid? after = null)
    {
        var db = redis.GetDatabase();
        long start = 0;
        if (after is { } cursor)
        {
            if (await db.SortedSetRankAsync(RedisKeys.RecentAsyncJobs, cursor.ToString("N"), Order.Descending) is not { } rank)
            {
                return null;
            }

            start = rank + 1;
        }

        var members = await db.SortedSetRangeByRankAsync(RedisKeys.RecentAsyncJobs, start, start + limit, Order.Descending);
        var ids = members.Take(limit).Select(m => Guid.TryParseExact((string?)m, "N", out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToList();
        var views = await Task.WhenAll(ids.Select(GetAsync));
        return (views.OfType<JobView>().ToList(), members.Length > limit);
    }

    /// <summary>Puts a job on the sweeper's watch list (keeps the earliest deadline if already there).</summary>
    public Task TrackAsync(Guid jobId) =>
        redis.GetDatabase().SortedSetAddAsync(RedisKeys.ActiveJobsByDeadline, jobId.ToString("N"),
            (time.GetUtcNow() + _options.StuckAfter).ToUnixTimeMilliseconds(), When.NotExists);

    public Task UntrackAsync(Guid jobId) =>
        redis.GetDatabase().SortedSetRemoveAsync(RedisKeys.ActiveJobsByDeadline, jobId.ToString("N"));

    /// <summary>Jobs on the watch list whose deadline has passed, oldest first (malformed members are dropped).</summary>
    public async Task<IReadOnlyList<Guid>> OverdueAsync(int max)
    {
        var db = redis.GetDatabase();
        var members = await db.SortedSetRangeByScoreAsync(RedisKeys.ActiveJobsByDeadline,
            double.NegativeInfinity, time.GetUtcNow().ToUnixTimeMilliseconds(), Exclude.None, Order.Ascending, 0, max);
        var ids = new List<Guid>(members.Length);
        foreach (var member in members)
        {
            if (Guid.TryParseExact((string?)member, "N", out var id))
            {
                ids.Add(id);
            }
            else
            {
                await db.SortedSetRemoveAsync(RedisKeys.ActiveJobsByDeadline, member);
            }
        }

        return ids;
    }

    private async Task<JobWriteResult> EvaluateAsync(Guid jobId, IEnumerable<RedisValue> args)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script,
            [RedisKeys.Job(jobId), RedisKeys.JobEvents(jobId), RedisKeys.JobEventsChannel(jobId)], args.ToArray()))!;
        var outcome = (long)result[0] switch
        {
            1 => JobWriteOutcome.Applied,
            0 => JobWriteOutcome.Ignored,
            _ => JobWriteOutcome.Missing,
        };
        return new JobWriteResult(outcome, NullIfEmpty((string?)result[1]), NullIfEmpty((string?)result[2]), result.Length > 3 && (long)result[3] == 1);
    }

    private static void AddPairs(List<RedisValue> args, IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        args.Add(pairs.Count);
        foreach (var (field, value) in pairs)
        {
            args.Add(field);
            args.Add(value);
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeSeconds();

    private long Ttl() => (long)_options.Ttl.TotalSeconds;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>A job record (or a snapshot of one from its event stream) as its view.</summary>
    internal static JobView Read(Guid jobId, Dictionary<string, string?> f)
    {
        string? Get(string field) => f.GetValueOrDefault(field);
        long Long(string field) => long.TryParse(Get(field), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
        T? Json<T>(string field, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class =>
            Get(field) is { Length: > 0 } json ? JsonSerializer.Deserialize(json, type) : null;

        return new JobView
        {
            Id = jobId.ToString("N"),
            OwnerId = Get(JobFields.OwnerId),
            Kind = Get(JobFields.Kind),
            State = Get(JobFields.State) ?? JobStates.Pending,
            Mode = Get(JobFields.Mode),
            Model = Get(JobFields.Model),
            Provider = Get(JobFields.Provider),
            Operation = Get(JobFields.Operation),
            Created = Long(JobFields.Created),
            Updated = Long(JobFields.Updated),
            Progress = (int)Long(JobFields.Progress),
            EstimatedSeconds = double.TryParse(Get(JobFields.EstimatedSeconds), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : null,
            ResponseFormat = Get(JobFields.ResponseFormat),
            Images = Json(JobFields.Images, JobStatusJsonContext.Default.IReadOnlyListGeneratedImage),
            RevisedPrompt = Get(JobFields.RevisedPrompt),
            Error = Json(JobFields.Error, JobStatusJsonContext.Default.ErrorInfo),
            Usage = Json(JobFields.Usage, JobStatusJsonContext.Default.Usage),
            Webhook = Webhooks.WebhookView.Read(f),
            WebhookUrl = Get(JobFields.WebhookUrl),
        };
    }
}
