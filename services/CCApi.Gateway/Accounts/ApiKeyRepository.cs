using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Gateway.Accounts;

/// <summary>Outcome of a credit change.</summary>
public enum CreditOutcome
{
    Applied,
    NoSuchKey,
    Unlimited,
    WouldGoNegative,
    WouldExceedMaximum,
}

/// <summary>
/// API keys in Redis. Per key, everything shares the hash tag <c>{key:id}</c> (record hash, ledger and usage streams), so the
/// scripts that reserve and settle credits later run on one Redis Cluster slot. Secrets are stored only as SHA-256 in
/// the lookup entry <c>{keyhash:sha256}</c> → id, which is written last: a key never authenticates before its record
/// exists.
/// </summary>
public sealed partial class ApiKeyRepository(IConnectionMultiplexer redis, TimeProvider time, IOptions<Credits.CreditOptions> credits)
{
    public const string SecretPrefix = "sk-ccapi-";
    public const string AdminActor = "admin";

    private readonly TimeSpan _ledgerRetention = credits.Value.LedgerRetention;

    // HINCRBY keeps the balance exact; the comparisons only guard the bounds. Adds the ledger entry in the same step.
    // KEYS: the key's record, its ledger, its usage entries. ARGV: amount (nano-dollars), maximum balance, who, unix
    // seconds, note, the oldest ledger id to keep (unix ms).
    private const string AdjustCreditsScript = Credits.CreditScripts.AppendEntryFunction + """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
        local balance = redis.call('HGET', KEYS[1], 'credits_nusd')
        if not balance then return {'unlimited'} end
        local after = tonumber(balance) + tonumber(ARGV[1])
        if after < 0 then return {'negative', balance} end
        if after > tonumber(ARGV[2]) then return {'too_large', balance} end
        redis.call('HINCRBY', KEYS[1], 'credits_nusd', ARGV[1])
        local exact = redis.call('HGET', KEYS[1], 'credits_nusd')
        local id = append_entry(KEYS[2], KEYS[3], ARGV[6], {'type', 'credits', 'who', ARGV[3], 'created', ARGV[4],
            'amount_nusd', ARGV[1], 'balance_after_nusd', exact, 'note', ARGV[5]})
        return {'ok', exact, id}
        """;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>"sk-ccapi-" + 48 random lowercase hex characters (192 bits).</summary>
    public static string NewSecret() => SecretPrefix + RandomNumberGenerator.GetHexString(48, lowercase: true);

    /// <summary>The visible start of a secret: its first 12 characters (less for short configured keys, never over a quarter).</summary>
    public static string PrefixOf(string secret) => secret[..Math.Min(12, secret.Length / 4)];

    /// <summary>"key_" + 16 lowercase hex characters: the shape of every key id (bootstrap ids included).</summary>
    public static bool IsKeyId(string? id) => id is not null && KeyIdPattern().IsMatch(id);

    public static ApiException Unavailable() =>
        new(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "API keys cannot be read or changed right now; retry shortly.");

    public async Task<(ApiKeyRecord Record, string Secret)> CreateAsync(NewKeySpec spec)
    {
        var now = time.GetUtcNow();
        var secret = NewSecret();
        var hash = ApiKeyStore.Hash(secret);
        var record = new ApiKeyRecord
        {
            Id = "key_" + RandomNumberGenerator.GetHexString(16, lowercase: true),
            Name = spec.Name,
            Prefix = PrefixOf(secret),
            Created = now.ToUnixTimeSeconds(),
            ExpiresAt = spec.ExpiresAt,
            CreditsNanos = spec.CreditsNanos,
            Limits = spec.Limits,
            Models = spec.Models,
            AllowUnpriced = spec.AllowUnpriced,
        };

        var db = Db;
        var key = RedisKeys.ApiKey(record.Id);
        var transaction = db.CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(key));
        _ = transaction.HashSetAsync(key, [.. record.ToHashEntries(hash), new HashEntry(ApiKeyFields.CreatedMs, now.ToUnixTimeMilliseconds())]);
        if (spec.CreditsNanos is { } credits)
        {
            _ = transaction.StreamAddAsync(RedisKeys.ApiKeyLedger(record.Id),
                LedgerFields(AdminActor, record.Created, credits, credits, "initial balance"));
        }

        if (!await transaction.ExecuteAsync())
        {
            throw new InvalidOperationException("A freshly generated key id already exists."); // 2^64 ids: not expected
        }

        await db.SortedSetAddAsync(RedisKeys.ApiKeysByCreation, record.Id, CreationScore(now));
        await db.StringSetAsync(RedisKeys.ApiKeyLookup(hash), record.Id);
        return (record, secret);
    }

    /// <summary>
    /// Stores a configured key (the bootstrap key): unlimited, no limits. Fields an operator changed since (name, revoked,
    /// limits) are kept; the id is derived from the hash, so it is the same on every start and replica.
    /// </summary>
    public async Task<string> StoreConfiguredAsync(string secret, string name)
    {
        var now = time.GetUtcNow();
        var hash = ApiKeyStore.Hash(secret);
        var id = ApiKeyStore.KeyIdFor(hash);
        var key = RedisKeys.ApiKey(id);
        var db = Db;
        var transaction = db.CreateTransaction();
        HashEntry[] fields =
        [
            new(ApiKeyFields.Id, id), new(ApiKeyFields.Name, name), new(ApiKeyFields.Prefix, PrefixOf(secret)), new(ApiKeyFields.Hash, hash),
            new(ApiKeyFields.Created, now.ToUnixTimeSeconds()), new(ApiKeyFields.CreatedMs, now.ToUnixTimeMilliseconds()),
            new(ApiKeyFields.Revoked, 0), new(ApiKeyFields.ReservedNanos, 0), new(ApiKeyFields.SpentNanos, 0), new(ApiKeyFields.AllowUnpriced, 1),
        ];
        foreach (var field in fields)
        {
            _ = transaction.HashSetAsync(key, field.Name, field.Value, When.NotExists);
        }

        await transaction.ExecuteAsync();
        await db.SortedSetAddAsync(RedisKeys.ApiKeysByCreation, id, CreationScore(now), SortedSetWhen.NotExists);
        await db.StringSetAsync(RedisKeys.ApiKeyLookup(hash), id);
        return id;
    }

    /// <summary>
    /// A key's place in the newest-first listing: unix microseconds, so keys an operator creates one after another list in
    /// that order (in milliseconds two quick creations tied and listed by their random ids). Exact in a Redis score (a
    /// double: integers to 2^53); entries written in milliseconds by an older gateway still sort as the older keys they are.
    /// </summary>
    private static long CreationScore(DateTimeOffset now) => (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public async Task<ApiKeyRecord?> GetAsync(string id) =>
        IsKeyId(id) ? ApiKeyRecord.FromHash(await Db.HashGetAllAsync(RedisKeys.ApiKey(id))) : null;

    /// <summary>The record of the key whose secret hashes to <paramref name="hash"/>, or null.</summary>
    public async Task<ApiKeyRecord?> FindBySecretHashAsync(string hash)
    {
        var id = await Db.StringGetAsync(RedisKeys.ApiKeyLookup(hash));
        return id.IsNullOrEmpty ? null : await GetAsync(id!);
    }

    /// <summary>Applies a PATCH; null when there is no such key.</summary>
    public async Task<ApiKeyRecord?> UpdateAsync(string id, KeyPatch patch)
    {
        if (!IsKeyId(id))
        {
            return null;
        }

        var key = RedisKeys.ApiKey(id);
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.KeyExists(key));
        if (patch.Set.Count > 0)
        {
            _ = transaction.HashSetAsync(key, [.. patch.Set]);
        }

        if (patch.Remove.Count > 0)
        {
            _ = transaction.HashDeleteAsync(key, [.. patch.Remove]);
        }

        return await transaction.ExecuteAsync() ? await GetAsync(id) : null;
    }

    /// <summary>Marks the key revoked (idempotent); null when there is no such key.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string id)
    {
        if (!IsKeyId(id))
        {
            return null;
        }

        var key = RedisKeys.ApiKey(id);
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.KeyExists(key));
        _ = transaction.HashSetAsync(key, ApiKeyFields.Revoked, 1);
        _ = transaction.HashSetAsync(key, ApiKeyFields.RevokedAt, time.GetUtcNow().ToUnixTimeSeconds(), When.NotExists);
        return await transaction.ExecuteAsync() ? await GetAsync(id) : null;
    }

    /// <summary>Adds (or removes) credits and writes the ledger entry in one atomic step.</summary>
    public async Task<(CreditOutcome Outcome, long BalanceNanos)> AdjustCreditsAsync(string id, CreditChange change, string who)
    {
        if (!IsKeyId(id))
        {
            return (CreditOutcome.NoSuchKey, 0);
        }

        var now = time.GetUtcNow();
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(AdjustCreditsScript,
            [RedisKeys.ApiKey(id), RedisKeys.ApiKeyLedger(id), RedisKeys.ApiKeyUsageEntries(id)],
            [change.AmountNanos, Money.ToNanos(Money.MaxUsd), who, now.ToUnixTimeSeconds(), change.Note ?? "", (now - _ledgerRetention).ToUnixTimeMilliseconds()]))!;
        var balance = result.Length > 1 ? long.Parse((string)result[1]!, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return ((string?)result[0]) switch
        {
            "ok" => (CreditOutcome.Applied, balance),
            "unlimited" => (CreditOutcome.Unlimited, 0),
            "negative" => (CreditOutcome.WouldGoNegative, balance),
            "too_large" => (CreditOutcome.WouldExceedMaximum, balance),
            _ => (CreditOutcome.NoSuchKey, 0),
        };
    }

    /// <summary>Newest first; <paramref name="after"/> is the last id of the previous page. Null after = first page.</summary>
    public async Task<(IReadOnlyList<ApiKeyRecord> Records, bool HasMore)> ListAsync(int limit, string? after)
    {
        var db = Db;
        long start = 0;
        if (after is not null)
        {
            var rank = IsKeyId(after) ? await db.SortedSetRankAsync(RedisKeys.ApiKeysByCreation, after, Order.Descending) : null;
            start = (rank ?? throw ApiException.BadField("after", "'after' must be the id of a listed key (the last id of the previous page).")) + 1;
        }

        var ids = await db.SortedSetRangeByRankAsync(RedisKeys.ApiKeysByCreation, start, start + limit, Order.Descending);
        var pages = ids.Take(limit).Select(id => db.HashGetAllAsync(RedisKeys.ApiKey((string)id!))).ToList();
        var records = (await Task.WhenAll(pages)).Select(ApiKeyRecord.FromHash).OfType<ApiKeyRecord>().ToList();
        return (records, ids.Length > limit);
    }

    /// <summary>
    /// The key's ledger, newest first: its credit changes (and usage from before the rollups) and its usage entries,
    /// merged by id (the two streams never share one); null when there is no such key.
    /// </summary>
    public async Task<(IReadOnlyList<LedgerEntryView> Entries, bool HasMore)?> LedgerAsync(string id, int limit, string? after)
    {
        // An id Redis takes as an exclusive end: within 64 bits (Redis refuses more, which would read as an outage) and
        // not 0-0, before which nothing can be.
        if (after is not null && !(LedgerIdPattern().IsMatch(after) && ChatStreams.TryParseEntryId(after, out var cursor) && cursor != (0UL, 0UL)))
        {
            throw ApiException.BadField("after", "'after' must be the id of a ledger entry (the last id of the previous page).");
        }

        var db = Db;
        if (!IsKeyId(id) || !await db.KeyExistsAsync(RedisKeys.ApiKey(id)))
        {
            return null;
        }

        var end = after is null ? "+" : "(" + after;
        var credits = db.StreamRangeAsync(RedisKeys.ApiKeyLedger(id), "-", end, limit + 1, Order.Descending);
        var usage = db.StreamRangeAsync(RedisKeys.ApiKeyUsageEntries(id), "-", end, limit + 1, Order.Descending);
        var entries = (await credits).Concat(await usage).OrderByDescending(EntryId).Take(limit + 1).ToList();
        var views = entries.Take(limit).Select(e => ToView(id, e)).ToList();
        return (views, entries.Count > limit);
    }

    private static (ulong, ulong) EntryId(StreamEntry entry) => ChatStreams.TryParseEntryId(entry.Id, out var id) ? id : default;

    /// <summary>Records a use; fire-and-forget, the caller throttles it.</summary>
    public void Touch(string id, long unixSeconds) =>
        Db.HashSet(RedisKeys.ApiKey(id), ApiKeyFields.LastUsed, unixSeconds, flags: CommandFlags.FireAndForget);

    private static NameValueEntry[] LedgerFields(string who, long created, long amount, long balanceAfter, string note) =>
    [
        new("type", "credits"), new("who", who), new("created", created),
        new("amount_nusd", amount), new("balance_after_nusd", balanceAfter), new("note", note),
    ];

    private static LedgerEntryView ToView(string keyId, StreamEntry entry)
    {
        long Long(string name) => long.TryParse((string?)entry[name], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
        var note = (string?)entry["note"];
        var type = (string?)entry["type"] ?? "credits";
        return new LedgerEntryView(
            Id: (string)entry.Id!,
            KeyId: keyId,
            Type: type,
            Who: (string?)entry["who"] ?? AdminActor,
            Created: Long("created"),
            AmountUsd: Money.ToUsd(Long("amount_nusd")),
            BalanceAfterUsd: Money.ToUsd(Long("balance_after_nusd")),
            Note: string.IsNullOrEmpty(note) ? null : note,
            Usage: type == "usage" ? UsageOf(entry, Long) : null);
    }

    /// <summary>The fields <c>CreditScripts.Settle</c> writes to a usage entry, as the ledger shows them.</summary>
    private static LedgerUsageView UsageOf(StreamEntry entry, Func<string, long> number)
    {
        var job = (string?)entry["job"] ?? "";
        var kind = (string?)entry["kind"] ?? "";
        return new LedgerUsageView(
            JobId: CreditSettlement.KindOf(kind) is { } jobKind ? PublicIds.Of(jobKind, job) : job,
            Kind: kind,
            Model: (string?)entry["model"] ?? "",
            Provider: (string?)entry["provider"] ?? "",
            InputTokens: number("prompt_tokens"),
            InputCachedTokens: number("cached_tokens"),
            OutputTokens: number("completion_tokens"),
            Images: number("images"),
            Characters: number("characters"),
            Priced: (string?)entry["priced"] != "0");
    }

    [GeneratedRegex("^key_[0-9a-f]{16}$")]
    private static partial Regex KeyIdPattern();

    [GeneratedRegex("^[0-9]{1,20}-[0-9]{1,20}$")]
    private static partial Regex LedgerIdPattern();
}
