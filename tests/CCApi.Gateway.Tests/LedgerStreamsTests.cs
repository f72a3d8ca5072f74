using CCApi.Contracts;
using CCApi.Gateway.Credits;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CCApi.Gateway.Tests;

/// <summary>
/// A key's ledger is two streams (real Redis): credit changes (kept <c>Credits:LedgerRetention</c>) and per-job usage
/// entries (kept <c>Credits:UsageEntryRetention</c>), listed by <c>GET /admin/v1/keys/{id}/ledger</c> as one, by id,
/// page after page; their ids never collide.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class LedgerStreamsTests(GatewayFixture gateway)
{
    private const long DayMs = 86_400_000;

    private IDatabase Db => gateway.Redis.GetDatabase();

    private async Task SettleAsync(string keyId) =>
        (await gateway.Factory.Services.GetRequiredService<CreditSettlement>().SettleAsync(keyId, Guid.NewGuid(),
            new JobRoute { OwnerId = keyId, Provider = "openai", Model = "openai/gpt-4o-mini", ProviderModel = "gpt-4o-mini" }, JobKind.Chat,
            new Usage { PromptTokens = 7, CompletionTokens = 5, TotalTokens = 12, Cost = 0.00000405m })).Outcome.ShouldBe(SettleOutcome.Settled);

    private async Task TopUpAsync(string keyId, string amount) =>
        (await gateway.Admin.PostAsync($"/admin/v1/keys/{keyId}/credits",
            new StringContent($$"""{"amount_usd":{{amount}}}""", Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.OK);

    /// <summary>Every entry of the key's ledger listing, newest first, read <paramref name="limit"/> at a time.</summary>
    private async Task<List<JsonNode>> ListAsync(string keyId, int limit)
    {
        var all = new List<JsonNode>();
        string? after = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync(
                $"/admin/v1/keys/{keyId}/ledger?limit={limit}" + (after is null ? "" : "&after=" + after)));
            var data = page["data"]!.AsArray().Select(e => e!).ToList();
            all.AddRange(data);
            if (!page["has_more"]!.GetValue<bool>())
            {
                return all;
            }

            after = data[^1]["id"]!.GetValue<string>();
        }

        throw new InvalidOperationException("the listing did not end");
    }

    private static (ulong, ulong) Id(JsonNode entry) => ChatStreams.TryParseEntryId(entry["id"]!.GetValue<string>(), out var id) ? id : default;

    [Fact]
    public async Task Credit_changes_and_usage_entries_are_listed_as_one_ledger_newest_first_page_by_page()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"two-streams","credits_usd":1}""");
        using var _ = client;
        await SettleAsync(id);
        await SettleAsync(id);
        await TopUpAsync(id, "2");
        await SettleAsync(id);
        await TopUpAsync(id, "0.5");
        await SettleAsync(id);

        var byTwos = await ListAsync(id, 2);
        var byThrees = await ListAsync(id, 3);

        (await Db.StreamLengthAsync(RedisKeys.ApiKeyLedger(id))).ShouldBe(3);        // initial balance, two top-ups
        (await Db.StreamLengthAsync(RedisKeys.ApiKeyUsageEntries(id))).ShouldBe(4);  // the settlements
        byTwos.Select(e => e["type"]!.GetValue<string>()).ShouldBe(["usage", "credits", "usage", "credits", "usage", "usage", "credits"]);
        byTwos.Select(Id).ShouldBeInOrder(SortDirection.Descending);
        byTwos.Select(Id).Distinct().Count().ShouldBe(7);
        byThrees.Select(e => e["id"]!.GetValue<string>()).ShouldBe(byTwos.Select(e => e["id"]!.GetValue<string>()));
        byTwos[^1]["note"]!.GetValue<string>().ShouldBe("initial balance");
        byTwos[0]["balance_after_usd"]!.GetValue<decimal>().ShouldBe(3.5m - 4 * 0.00000405m);
    }

    [Fact]
    public async Task An_entry_whose_id_the_other_stream_holds_takes_the_next_id()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"clash","credits_usd":1}""");
        using var _ = client;
        // The ledger's last id is in the future, so Redis gives the next credit change F-1; the usage entries already hold
        // F-1 and F-2 (as a settlement in that millisecond would have).
        var future = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + DayMs;
        await Db.StreamAddAsync(RedisKeys.ApiKeyLedger(id), [new("type", "credits"), new("note", "seeded")], $"{future}-0");
        await Db.StreamAddAsync(RedisKeys.ApiKeyUsageEntries(id), [new("type", "usage"), new("note", "seeded")], $"{future}-1");
        await Db.StreamAddAsync(RedisKeys.ApiKeyUsageEntries(id), [new("type", "usage"), new("note", "seeded")], $"{future}-2");

        await TopUpAsync(id, "1");

        var ledger = await ListAsync(id, 10);
        ledger[0]["id"]!.GetValue<string>().ShouldBe($"{future}-3");
        ledger[0]["amount_usd"]!.GetValue<decimal>().ShouldBe(1m);
        ledger.Select(Id).Distinct().Count().ShouldBe(ledger.Count);
        (await Db.StreamLengthAsync(RedisKeys.ApiKeyLedger(id))).ShouldBe(3); // initial, seeded, the top-up — once
    }

    [Fact]
    public async Task Usage_entries_are_trimmed_at_their_own_retention_and_credit_changes_at_the_ledgers()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"retention","credits_usd":1}""");
        using var _ = client;
        await Db.KeyDeleteAsync(RedisKeys.ApiKeyLedger(id)); // its initial balance: the old entries below must come first
        var options = gateway.Factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CreditOptions>>().Value;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var pastEntries = now - (long)options.UsageEntryRetention.TotalMilliseconds - DayMs;  // older than usage entries are kept
        var pastLedger = now - (long)options.LedgerRetention.TotalMilliseconds - DayMs;       // older than the ledger is kept
        for (var i = 0; i < 300; i++)
        {
            await Db.StreamAddAsync(RedisKeys.ApiKeyLedger(id), [new("type", "credits"), new("note", "old")], $"{pastLedger + i}-0");
            await Db.StreamAddAsync(RedisKeys.ApiKeyUsageEntries(id), [new("type", "usage"), new("note", "old")], $"{pastEntries + i}-0");
        }

        var recentCredit = $"{pastEntries + 1000}-0"; // past the usage entries' retention, within the ledger's
        await Db.StreamAddAsync(RedisKeys.ApiKeyLedger(id), [new("type", "credits"), new("note", "kept")], recentCredit);

        await SettleAsync(id);                        // trims the usage entries only
        var ledgerAfterSettle = await Db.StreamLengthAsync(RedisKeys.ApiKeyLedger(id));
        await TopUpAsync(id, "1");                    // trims the ledger

        (await Db.StreamLengthAsync(RedisKeys.ApiKeyUsageEntries(id))).ShouldBeLessThan(300); // whole old nodes go (MINID ~)
        (await Db.StreamRangeAsync(RedisKeys.ApiKeyUsageEntries(id), "-", "+", 1, Order.Descending)).Single()["type"].ToString().ShouldBe("usage");
        ledgerAfterSettle.ShouldBe(301);
        var ledger = await Db.StreamRangeAsync(RedisKeys.ApiKeyLedger(id));
        ledger.Length.ShouldBeLessThan(302);
        ledger.Select(e => (string)e.Id!).ShouldContain(recentCredit);
        ledger[^1]["amount_nusd"].ToString().ShouldBe("1000000000");
    }
}
