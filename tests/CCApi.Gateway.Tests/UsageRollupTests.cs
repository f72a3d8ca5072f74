using System.Globalization;
using CCApi.Contracts;
using CCApi.Gateway.Credits;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CCApi.Gateway.Tests;

/// <summary>
/// Usage reports from the hourly rollups that settlement writes beside each ledger entry (real Redis): whole hours come
/// from the rollups, partial hours and usage from before the rollups from the ledger, each entry counted once; the
/// rollups' layout, expiry and day index.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class UsageRollupTests(GatewayFixture gateway)
{
    private const long HourMs = UsagePlan.HourMs;
    private const long DayMs = 24 * HourMs;

    private CreditSettlement Settlement => gateway.Factory.Services.GetRequiredService<CreditSettlement>();

    private IDatabase Db => gateway.Redis.GetDatabase();

    private static JobRoute Route(string keyId, string model) =>
        new() { OwnerId = keyId, Provider = model.Split('/')[0], Model = model, ProviderModel = model.Split('/')[1] };

    private async Task SettleChatAsync(string keyId, string model, int prompt, int completion, decimal cost) =>
        (await Settlement.SettleAsync(keyId, Guid.NewGuid(), Route(keyId, model), JobKind.Chat,
            new Usage { PromptTokens = prompt, CompletionTokens = completion, TotalTokens = prompt + completion, Cost = cost })).Outcome.ShouldBe(SettleOutcome.Settled);

    private async Task<JsonArray> ReportAsync(string keyId, string query) =>
        (await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync($"/admin/v1/usage?key_id={keyId}&{query}")))["data"]!.AsArray();

    private static long Requests(JsonArray rows, string group) =>
        rows.SingleOrDefault(r => r!["group"]!.GetValue<string>() == group)?["requests"]!.GetValue<long>() ?? 0;

    [Fact]
    public async Task Settlement_adds_each_usage_entry_to_its_hours_rollup_and_reports_read_whole_hours_from_it_alone()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"rollup","credits_usd":null}""");
        using var _ = client;
        await SettleChatAsync(id, "openai/gpt-4o-mini", 7, 5, 0.00000405m);
        await SettleChatAsync(id, "openai/gpt-4o-mini", 3, 2, 0.00000165m);
        (await Settlement.SettleAsync(id, Guid.NewGuid(), Route(id, "imaginepro/nano-banana"), JobKind.Image, new Usage { Images = 2, Cost = 0.08m }))
            .Outcome.ShouldBe(SettleOutcome.Settled);

        // Everything the rollups hold is in the usage entries, hour by hour (the stream id's hour).
        var ledger = await Db.StreamRangeAsync(RedisKeys.ApiKeyUsageEntries(id));
        var usageIds = ledger.Where(e => (string?)e["type"] == "usage").Select(e => (string)e.Id!).ToList();
        usageIds.Count.ShouldBe(3);
        var fields = new Dictionary<string, long>();
        foreach (var day in (await Db.SortedSetRangeByRankAsync(RedisKeys.ApiKeyUsage(id))).Select(d => (long)d))
        {
            foreach (var field in await Db.HashGetAllAsync(RedisKeys.ApiKeyUsageDay(id, day)))
            {
                var name = (string)field.Name!;
                var hour = day * 24 + int.Parse(name[..name.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                fields[$"{hour}{name[name.IndexOf(':', StringComparison.Ordinal)..]}"] = (long)field.Value;
            }
        }

        var hours = usageIds.Select(i => ChatStreams.TryParseEntryId(i, out var id) ? (long)id.Milliseconds / HourMs : 0).ToList();
        fields.Where(f => f.Key.Contains(":n:", StringComparison.Ordinal)).Sum(f => f.Value).ShouldBe(3);
        fields[$"{hours[0]}:in:openai/gpt-4o-mini"].ShouldBe(hours[1] == hours[0] ? 10 : 7);
        fields[$"{hours[2]}:img:imaginepro/nano-banana"].ShouldBe(2);
        fields[$"{hours[2]}:nusd:imaginepro/nano-banana"].ShouldBe(80_000_000);
        fields.Keys.ShouldNotContain(k => k.Contains(":chr:", StringComparison.Ordinal)); // zeros are left out

        // A window of whole hours (from the start of the first entry's hour, to now) is read from the rollups: the
        // usage entries can go and the report stays the same.
        var from = hours[0] * 3600;
        var before = await ReportAsync(id, $"from={from}&group_by=model");
        await Db.KeyDeleteAsync(RedisKeys.ApiKeyUsageEntries(id));
        var after = await ReportAsync(id, $"from={from}&group_by=model");

        after.ToJsonString().ShouldBe(before.ToJsonString());
        var chat = after.Single(r => r!["group"]!.GetValue<string>() == "openai/gpt-4o-mini")!;
        (chat["requests"]!.GetValue<long>(), chat["input_tokens"]!.GetValue<long>(), chat["output_tokens"]!.GetValue<long>()).ShouldBe((2, 10, 7));
        chat["cost_usd"]!.GetValue<decimal>().ShouldBe(0.0000057m);
        var image = after.Single(r => r!["group"]!.GetValue<string>() == "imaginepro/nano-banana")!;
        (image["requests"]!.GetValue<long>(), image["images"]!.GetValue<long>(), image["cost_usd"]!.GetValue<decimal>()).ShouldBe((1, 2, 0.08m));
    }

    [Fact]
    public async Task Prompt_tokens_served_from_the_providers_cache_are_counted_apart_in_entries_rollups_and_reports()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"rollup-cached","credits_usd":null}""");
        using var _ = client;
        var split = await NextSecondAsync();
        foreach (var cached in new[] { 0, 1536, 1024 })
        {
            (await Settlement.SettleAsync(id, Guid.NewGuid(), Route(id, "openai/gpt-4o-mini"), JobKind.Chat,
                new Usage { PromptTokens = 2000, CachedPromptTokens = cached, CompletionTokens = 10, TotalTokens = 2010, Cost = 0.0002m }))
                .Outcome.ShouldBe(SettleOutcome.Settled);
        }

        var entries = (await Db.StreamRangeAsync(RedisKeys.ApiKeyUsageEntries(id))).Where(e => (string?)e["type"] == "usage").ToList();
        entries.Select(e => (string?)e["cached_tokens"]).ShouldBe([null, "1536", "1024"]); // left out when 0
        var cin = 0L;
        foreach (var day in (await Db.SortedSetRangeByRankAsync(RedisKeys.ApiKeyUsage(id))).Select(d => (long)d))
        {
            cin += (await Db.HashGetAllAsync(RedisKeys.ApiKeyUsageDay(id, day)))
                .Where(f => ((string)f.Name!).EndsWith(":cin:openai/gpt-4o-mini", StringComparison.Ordinal)).Sum(f => (long)f.Value);
        }

        cin.ShouldBe(2560);

        // A window inside the hour is read from the entries; one of whole hours from the rollups (the entries can go):
        // the same sums.
        async Task ShouldCountAsync(string query)
        {
            var row = (await ReportAsync(id, query)).Single()!;
            (row["input_tokens"]!.GetValue<long>(), row["input_cached_tokens"]!.GetValue<long>(), row["output_tokens"]!.GetValue<long>())
                .ShouldBe((6000, 2560, 30), query);
        }

        await ShouldCountAsync($"from={split}&group_by=model");
        await Db.KeyDeleteAsync(RedisKeys.ApiKeyUsageEntries(id));
        await ShouldCountAsync($"from={split / 3600 * 3600}&group_by=model");
    }

    [Fact]
    public async Task A_window_starting_or_ending_inside_an_hour_counts_exactly_the_usage_in_it()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"rollup-edges","credits_usd":null}""");
        using var _ = client;
        await SettleChatAsync(id, "openai/gpt-4o-mini", 1, 1, 0.000001m);
        await SettleChatAsync(id, "openai/gpt-4o-mini", 1, 1, 0.000001m);
        var split = await NextSecondAsync();
        await SettleChatAsync(id, "openai/gpt-4o-mini", 1, 1, 0.000001m);
        await SettleChatAsync(id, "openai/gpt-4o-mini", 1, 1, 0.000001m);
        await SettleChatAsync(id, "openai/gpt-4o-mini", 1, 1, 0.000001m);
        var end = await NextSecondAsync();
        await SettleChatAsync(id, "openai/gpt-4o-mini", 1, 1, 0.000001m);

        Requests(await ReportAsync(id, $"from={split}&group_by=model"), "openai/gpt-4o-mini").ShouldBe(4);
        Requests(await ReportAsync(id, $"from={split}&to={end - 1}&group_by=model"), "openai/gpt-4o-mini").ShouldBe(3);
        Requests(await ReportAsync(id, $"from={split - 3600}&to={split - 1}&group_by=model"), "openai/gpt-4o-mini").ShouldBe(2);
        Requests(await ReportAsync(id, $"from={split - 3600}&group_by=model"), "openai/gpt-4o-mini").ShouldBe(6);
        (await ReportAsync(id, $"from={end + 5}&to={end + 10}&group_by=model")).ShouldBeEmpty(); // a window after the last entry
    }

    [Fact]
    public async Task Usage_in_the_ledger_which_no_rollup_holds_is_read_from_it_and_counted_once()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"rollup-legacy","credits_usd":null}""");
        using var _ = client;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var twoDaysAgo = now - 2 * DayMs;

        // As a gateway of the version before the usage entries wrote them: to the ledger, in no rollup — before this
        // version's first settlement, and after it (a rolling upgrade).
        Task LegacyAsync(long ms, string model) => Db.StreamAddAsync(RedisKeys.ApiKeyLedger(id),
            [new("type", "usage"), new("model", model), new("prompt_tokens", "4"), new("completion_tokens", "6"), new("cost_nusd", "1000")], $"{ms}-*");
        await LegacyAsync(twoDaysAgo, "openai/gpt-4o-mini");
        await LegacyAsync(twoDaysAgo + 1, "openai/gpt-4o-mini");
        await LegacyAsync(now - 90_000, "local/echo-1");
        var legacyOnly = await ReportAsync(id, $"from={twoDaysAgo / 1000 - 60}&group_by=model");
        await SettleChatAsync(id, "openai/gpt-4o-mini", 7, 5, 0.00000405m);
        await LegacyAsync(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "local/echo-1");
        var both = await ReportAsync(id, $"from={twoDaysAgo / 1000 - 60}&group_by=day");
        var byModel = await ReportAsync(id, $"from={twoDaysAgo / 1000 - 60}&group_by=model");
        var sinceTheHour = await ReportAsync(id, $"from={now / HourMs * 3600}&group_by=model"); // whole hours: rollups + the ledger

        Requests(legacyOnly, "openai/gpt-4o-mini").ShouldBe(2);
        Requests(legacyOnly, "local/echo-1").ShouldBe(1);
        Requests(byModel, "openai/gpt-4o-mini").ShouldBe(3);
        Requests(byModel, "local/echo-1").ShouldBe(2);
        byModel.Sum(r => r!["input_tokens"]!.GetValue<long>()).ShouldBe(4 + 4 + 4 + 7 + 4);
        Requests(both, Day(twoDaysAgo)).ShouldBe(2);
        both.Sum(r => r!["requests"]!.GetValue<long>()).ShouldBe(5);
        Requests(sinceTheHour, "openai/gpt-4o-mini").ShouldBe(1);
        Requests(sinceTheHour, "local/echo-1").ShouldBe(now - 90_000 >= now / HourMs * HourMs ? 2 : 1);
    }

    [Fact]
    public async Task Past_days_are_grouped_from_their_rollups_and_hours_outside_the_window_left_out()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"rollup-days","credits_usd":null}""");
        using var _ = client;
        var today = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / DayMs;
        var (d3, d2) = (today - 3, today - 2);
        await Db.SortedSetAddAsync(RedisKeys.ApiKeyUsage(id), [new(d3.ToString(CultureInfo.InvariantCulture), d3), new(d2.ToString(CultureInfo.InvariantCulture), d2)]);
        await Db.HashSetAsync(RedisKeys.ApiKeyUsageDay(id, d3), [new("0:n:a/x", 2), new("0:nusd:a/x", 3_000), new("23:n:a/x", 5), new("23:chr:b/y", 40)]);
        await Db.HashSetAsync(RedisKeys.ApiKeyUsageDay(id, d2), [new("12:n:b/y", 7), new("12:chr:b/y", 700), new("12:zzz:b/y", 99), new("bad", 1)]);

        var all = await ReportAsync(id, $"from={d3 * 86400}&to={(d2 + 1) * 86400 - 1}&group_by=day");
        var withoutLastHour = await ReportAsync(id, $"from={d3 * 86400}&to={d3 * 86400 + 23 * 3600 - 1}&group_by=model");
        var byModel = await ReportAsync(id, $"from={d3 * 86400}&to={(d2 + 1) * 86400 - 1}&group_by=model");

        all.Select(r => (r!["group"]!.GetValue<string>(), r["requests"]!.GetValue<long>())).ShouldBe([(Day(d3 * DayMs), 7), (Day(d2 * DayMs), 7)]);
        withoutLastHour.Single()!["requests"]!.GetValue<long>().ShouldBe(2);
        withoutLastHour.Single()!["cost_usd"]!.GetValue<decimal>().ShouldBe(0.000003m);
        byModel.Single(r => r!["group"]!.GetValue<string>() == "b/y")!["characters"]!.GetValue<long>().ShouldBe(740);
    }

    [Fact]
    public async Task A_day_of_rollups_expires_a_retention_after_it_and_the_index_forgets_older_days()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"rollup-expiry","credits_usd":null}""");
        using var _ = client;
        var retention = gateway.Factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CreditOptions>>().Value.LedgerRetention;
        var today = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / DayMs;
        var old = today - (long)retention.TotalDays - 2;
        await Db.SortedSetAddAsync(RedisKeys.ApiKeyUsage(id), old.ToString(CultureInfo.InvariantCulture), old);

        await SettleChatAsync(id, "openai/gpt-4o-mini", 1, 1, 0.000001m);

        var days = (await Db.SortedSetRangeByRankAsync(RedisKeys.ApiKeyUsage(id))).Select(d => (long)d).ToList();
        days.ShouldHaveSingleItem().ShouldBeInRange(today - 1, today); // a settlement right at midnight may land either side
        var expiry = await Db.KeyExpireTimeAsync(RedisKeys.ApiKeyUsageDay(id, days[0]));
        expiry.ShouldNotBeNull();
        var expected = (days[0] + 1) * DayMs + (long)retention.TotalMilliseconds;
        new DateTimeOffset(expiry.Value).ToUnixTimeMilliseconds().ShouldBeInRange(expected - 1000, expected + 1000);
    }

    private static string Day(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Waits for the next whole second; answers it (unix seconds).</summary>
    private static async Task<long> NextSecondAsync()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Task.Delay(TimeSpan.FromMilliseconds(1000 - now % 1000 + 20));
        return now / 1000 + 1;
    }
}
