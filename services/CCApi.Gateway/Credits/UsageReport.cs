using System.Globalization;
using CCApi.Gateway.Accounts;
using StackExchange.Redis;

namespace CCApi.Gateway.Credits;

/// <summary>One group of a usage report: the settled jobs in it and what they cost.</summary>
public sealed record UsageRow(
    string Group,
    long Requests,
    long InputTokens,
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

/// <summary>The query of a usage report, validated: every problem is a 400 naming its field.</summary>
public sealed record UsageQuery(long From, long To, string GroupBy)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    public static UsageQuery Parse(string? from, string? to, string? groupBy, IReadOnlyList<string> groups, long now)
    {
        var end = Seconds(to, "to") ?? now;
        var start = Seconds(from, "from") ?? end - (long)DefaultWindow.TotalSeconds;
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
/// Usage from the keys' ledgers: each settled job is one "usage" entry (stream id = its time in ms), so a time window is
/// an XRANGE. Read in pages; grouped by UTC day, model or key.
/// </summary>
public sealed class UsageReader(IConnectionMultiplexer redis)
{
    private const int Page = 1000;

    public async Task<UsageReport> ReadAsync(IReadOnlyList<string> keyIds, UsageQuery query)
    {
        var db = redis.GetDatabase();
        var rows = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        var first = (query.From * 1000).ToString(CultureInfo.InvariantCulture);
        var last = (query.To * 1000 + 999).ToString(CultureInfo.InvariantCulture);
        foreach (var keyId in keyIds)
        {
            RedisValue start = first;
            while (true)
            {
                var entries = await db.StreamRangeAsync(RedisKeys.ApiKeyLedger(keyId), start, last, Page);
                foreach (var entry in entries)
                {
                    if ((string?)entry["type"] != "usage")
                    {
                        continue;
                    }

                    var group = query.GroupBy switch
                    {
                        "model" => (string?)entry["model"] ?? "",
                        "key" => keyId,
                        _ => Day((string)entry.Id!),
                    };
                    if (!rows.TryGetValue(group, out var sums))
                    {
                        rows[group] = sums = new long[6];
                    }

                    sums[0]++;
                    sums[1] += Long(entry, "prompt_tokens");
                    sums[2] += Long(entry, "completion_tokens");
                    sums[3] += Long(entry, "images");
                    sums[4] += Long(entry, "characters");
                    sums[5] += Long(entry, "cost_nusd");
                }

                if (entries.Length < Page)
                {
                    break;
                }

                start = "(" + (string)entries[^1].Id!;
            }
        }

        var data = rows.Select(r => new UsageRow(r.Key, r.Value[0], r.Value[1], r.Value[2], r.Value[3], r.Value[4], Money.ToUsd(r.Value[5]))).ToList();
        return new UsageReport(data, query.From, query.To, query.GroupBy);
    }

    /// <summary>Every key id, oldest first (the admin report without <c>key_id</c>).</summary>
    public async Task<IReadOnlyList<string>> AllKeyIdsAsync() =>
        [.. (await redis.GetDatabase().SortedSetRangeByRankAsync(RedisKeys.ApiKeysByCreation)).Select(id => (string)id!)];

    private static string Day(string streamId)
    {
        var ms = long.Parse(streamId.AsSpan(0, streamId.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        return DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static long Long(StreamEntry entry, string field) =>
        long.TryParse((string?)entry[field], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
