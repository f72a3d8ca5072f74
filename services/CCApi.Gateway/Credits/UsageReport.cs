using System.Globalization;
using CCApi.Gateway.Accounts;
using StackExchange.Redis;

namespace CCApi.Gateway.Credits;

/// <summary>One group of a usage report: the settled jobs in it and what they cost.</summary>
public sealed record UsageRow(
    string Group,
    long Requests,
    long InputTokens,
    long InputCachedTokens,
    long OutputTokens,
    long Images,
    long Characters,
    decimal CostUsd);

/// <summary>GET /v1/usage and /admin/v1/usage: spend and counts over [from, to] (unix seconds), grouped.</summary>
public sealed record UsageReport(IReadOnlyList<UsageRow> Data, long From, long To, string GroupBy)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "list";
}

/// <summary>
/// The query of a usage report, validated: every problem is a 400 naming its field. Without <c>from</c>, the window
/// starts on the hour 30 days before <c>to</c>, so that the default report reads whole hours from the rollups; the
/// report says which window it covers.
/// </summary>
public sealed record UsageQuery(long From, long To, string GroupBy)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    public static UsageQuery Parse(string? from, string? to, string? groupBy, IReadOnlyList<string> groups, long now)
    {
        var end = Seconds(to, "to") ?? now;
        var start = Seconds(from, "from") ?? (end - (long)DefaultWindow.TotalSeconds) / 3600 * 3600;
        if (start > end)
        {
            throw ApiException.BadField("from", $"'from' ({start}) must not be after 'to' ({end}).");
        }

        var group = groupBy ?? "day";
        if (!groups.Contains(group, StringComparer.Ordinal))
        {
            throw ApiException.BadField("group_by", $"'group_by' must be one of {string.Join(", ", groups)}; got '{Api.Validation.Truncate(group)}'.");
        }

        return new UsageQuery(Math.Max(0, start), end, group);
    }

    private static long? Seconds(string? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253_402_300_799)
        {
            throw ApiException.BadField(field, $"'{field}' must be a time in unix seconds (a whole number ≥ 0); got '{Api.Validation.Truncate(value)}'.");
        }

        return seconds;
    }
}

/// <summary>
/// Usage from the keys' rollups and entries: each settled job is one "usage" entry (stream id = its time in ms) and is
/// added to the key's hourly rollups as it is written (<see cref="CreditScripts.UsageRollupFunction"/>). A report reads
/// the whole hours of its window from the rollups and only the rest entry by entry (<see cref="UsagePlan"/>: a partial
/// hour at either end, and usage in the ledger, which no rollup holds), so its cost follows the days and models in it,
/// not the requests.
/// Grouped by UTC day, model or key; keys are read a few at a time, concurrently.
/// </summary>
public sealed class UsageReader(IConnectionMultiplexer redis, TimeProvider time)
{
    private const int Page = 1000;
    private const int KeysAtOnce = 16;
    private const long DayMs = 86_400_000;

    /// <summary>The rollup metrics (field names of a day hash), in <see cref="UsageRow"/>'s order of sums.</summary>
    private static readonly string[] Metrics = ["n", "in", "cin", "out", "img", "chr", "nusd"];

    public async Task<UsageReport> ReadAsync(IReadOnlyList<string> keyIds, UsageQuery query)
    {
        var db = redis.GetDatabase();
        var (from, to) = (query.From * 1000, query.To * 1000 + 999);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var rows = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var chunk in keyIds.Chunk(KeysAtOnce))
        {
            foreach (var sums in await Task.WhenAll(chunk.Select(keyId => ReadKeyAsync(db, keyId, from, to, now, query.GroupBy))))
            {
                foreach (var (group, values) in sums)
                {
                    var total = Row(rows, group);
                    for (var i = 0; i < total.Length; i++)
                    {
                        total[i] += values[i];
                    }
                }
            }
        }

        var data = rows.Select(r => new UsageRow(r.Key, r.Value[0], r.Value[1], r.Value[2], r.Value[3], r.Value[4], r.Value[5], Money.ToUsd(r.Value[6]))).ToList();
        return new UsageReport(data, query.From, query.To, query.GroupBy);
    }

    /// <summary>Every key id, oldest first (the admin report without <c>key_id</c>).</summary>
    public async Task<IReadOnlyList<string>> AllKeyIdsAsync() =>
        [.. (await redis.GetDatabase().SortedSetRangeByRankAsync(RedisKeys.ApiKeysByCreation)).Select(id => (string)id!)];

    private static async Task<Dictionary<string, long[]>> ReadKeyAsync(IDatabase db, string keyId, long from, long to, long now, string groupBy)
    {
        var rows = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var plan = UsagePlan.For(from, to, now);
        if (plan.HasHours)
        {
            var wanted = (await db.SortedSetRangeByScoreAsync(RedisKeys.ApiKeyUsage(keyId), plan.FirstHour / 24, plan.LastHour / 24))
                .Select(d => (long)d).ToArray();
            var hashes = await Task.WhenAll(wanted.Select(day => db.HashGetAllAsync(RedisKeys.ApiKeyUsageDay(keyId, day))));
            for (var i = 0; i < wanted.Length; i++)
            {
                AddRollup(rows, keyId, wanted[i], hashes[i], plan, groupBy);
            }
        }

        foreach (var range in plan.Ranges)
        {
            await AddEntriesAsync(rows, db, RedisKeys.ApiKeyUsageEntries(keyId), keyId, range, groupBy);
        }

        // Usage in the ledger is in no rollup (settled before there were usage entries, or by a gateway of that
        // version during an upgrade); after the upgrade the ledger holds little else than credit changes.
        await AddEntriesAsync(rows, db, RedisKeys.ApiKeyLedger(keyId), keyId, new LedgerRange(Id(from), Id(to)), groupBy);

        return rows;
    }

    /// <summary>Adds a day hash's fields (<c>{hour}:{metric}:{model}</c>) of the plan's hours.</summary>
    private static void AddRollup(Dictionary<string, long[]> rows, string keyId, long day, HashEntry[] fields, UsagePlan plan, string groupBy)
    {
        foreach (var field in fields)
        {
            var name = (string)field.Name!;
            var first = name.IndexOf(':', StringComparison.Ordinal);
            var second = first < 0 ? -1 : name.IndexOf(':', first + 1);
            if (second < 0 || !int.TryParse(name.AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out var hourOfDay)
                || day * 24 + hourOfDay < plan.FirstHour || day * 24 + hourOfDay > plan.LastHour
                || !long.TryParse((string?)field.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            var metric = Array.IndexOf(Metrics, name[(first + 1)..second]);
            if (metric < 0)
            {
                continue;
            }

            var group = groupBy switch
            {
                "model" => name[(second + 1)..],
                "key" => keyId,
                _ => Day(day * DayMs),
            };
            Row(rows, group)[metric] += value;
        }
    }

    /// <summary>Adds the usage entries of one ledger range, read in pages.</summary>
    private static async Task AddEntriesAsync(IDictionary<string, long[]> rows, IDatabase db, RedisKey stream, string keyId, LedgerRange range, string groupBy)
    {
        RedisValue start = range.Start;
        while (true)
        {
            var entries = await db.StreamRangeAsync(stream, start, range.End, Page);
            foreach (var entry in entries)
            {
                if ((string?)entry["type"] != "usage")
                {
                    continue;
                }

                var group = groupBy switch
                {
                    "model" => (string?)entry["model"] ?? "",
                    "key" => keyId,
                    _ => Day(ChatStreams.TryParseEntryId(entry.Id, out var id) ? (long)id.Milliseconds : 0),
                };
                var sums = Row(rows, group);
                sums[0]++;
                sums[1] += Long(entry, "prompt_tokens");
                sums[2] += Long(entry, "cached_tokens");
                sums[3] += Long(entry, "completion_tokens");
                sums[4] += Long(entry, "images");
                sums[5] += Long(entry, "characters");
                sums[6] += Long(entry, "cost_nusd");
            }

            if (entries.Length < Page)
            {
                break;
            }

            start = "(" + (string)entries[^1].Id!;
        }
    }

    private static long[] Row(IDictionary<string, long[]> rows, string group)
    {
        if (!rows.TryGetValue(group, out var sums))
        {
            rows[group] = sums = new long[Metrics.Length];
        }

        return sums;
    }

    private static string Day(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Id(long ms) => ms.ToString(CultureInfo.InvariantCulture);

    private static long Long(StreamEntry entry, string field) =>
        long.TryParse((string?)entry[field], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
