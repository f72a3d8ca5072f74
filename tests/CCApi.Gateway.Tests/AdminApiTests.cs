using System.Net.Http.Headers;
using System.Net.Http.Json;
using CCApi.Gateway.Auth;
using CCApi.Storage;

namespace CCApi.Gateway.Tests;

/// <summary>The admin API (/admin/v1) against the shared gateway: key CRUD, paging, credits and ledger, bad input.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminApiTests(GatewayFixture gateway)
{
    private const string UnknownId = "key_0000000000000000";

    private async Task<JsonNode> CreateAsync(string json)
    {
        var response = await gateway.PostJsonAsync("/admin/v1/keys", json, gateway.Admin);
        var body = await GatewayFixture.ReadJsonAsync(response);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body.ToJsonString());
        return body;
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpClient client, string method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request);
        return (response.StatusCode, await GatewayFixture.ReadJsonAsync(response));
    }

    [Fact]
    public async Task Creates_a_key_and_shows_its_secret_only_in_the_answer_to_the_creation()
    {
        var expires = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeSeconds();
        var response = await gateway.PostJsonAsync("/admin/v1/keys",
            $$"""{"name":"team-a","credits_usd":25.0,"limits":{"rpm":600,"tpm":200000,"concurrency":20},"models":["openai/*","local/echo-1"],"expires_at":{{expires}}}""",
            gateway.Admin);

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var created = await GatewayFixture.ReadJsonAsync(response);
        var id = created["id"]!.GetValue<string>();
        var secret = created["key"]!.GetValue<string>();
        response.Headers.Location!.ToString().ShouldBe("/admin/v1/keys/" + id);
        id.ShouldMatch("^key_[0-9a-f]{16}$");
        secret.ShouldMatch("^sk-ccapi-[0-9a-f]{48}$");
        created["object"]!.GetValue<string>().ShouldBe("api_key");
        created["prefix"]!.GetValue<string>().ShouldBe(secret[..12]);
        created["name"]!.GetValue<string>().ShouldBe("team-a");
        created["credits_usd"]!.GetValue<decimal>().ShouldBe(25m);
        created["reserved_usd"]!.GetValue<decimal>().ShouldBe(0m);
        created["spent_usd"]!.GetValue<decimal>().ShouldBe(0m);
        created["limits"]!.ToJsonString().ShouldBe("""{"rpm":600,"tpm":200000,"concurrency":20}""");
        created["models"]!.ToJsonString().ShouldBe("""["openai/*","local/echo-1"]""");
        created["expires_at"]!.GetValue<long>().ShouldBe(expires);
        created["revoked"]!.GetValue<bool>().ShouldBeFalse();
        created["allow_unpriced"]!.GetValue<bool>().ShouldBeTrue();
        created.AsObject().ContainsKey("last_used").ShouldBeTrue();
        created["last_used"].ShouldBeNull();

        var (status, read) = await SendAsync(gateway.Admin, "GET", "/admin/v1/keys/" + id);
        status.ShouldBe(HttpStatusCode.OK);
        read.AsObject().ContainsKey("key").ShouldBeFalse();
        read.ToJsonString().ShouldNotContain(secret);
        read.ToJsonString().ShouldNotContain(ApiKeyStore.Hash(secret));

        var stored = await gateway.Redis.GetDatabase().HashGetAllAsync(RedisKeys.ApiKey(id));
        stored.Select(e => (string)e.Value!).ShouldNotContain(secret);
    }

    [Fact]
    public async Task A_created_key_calls_the_API_and_reads_its_own_record_from_v1_key()
    {
        var created = await CreateAsync("""{"name":"self","credits_usd":1.25}""");
        using var client = gateway.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created["key"]!.GetValue<string>());

        var chat = await gateway.PostJsonAsync("/v1/chat/completions", """{"model":"local/echo-1","messages":[{"role":"user","content":"hi"}]}""", client);
        var (status, own) = await SendAsync(client, "GET", "/v1/key");

        chat.StatusCode.ShouldBe(HttpStatusCode.OK);
        status.ShouldBe(HttpStatusCode.OK);
        own["id"]!.GetValue<string>().ShouldBe(created["id"]!.GetValue<string>());
        var cost = (await chat.Content.ReadFromJsonAsync<JsonNode>())!["usage"]!["cost_usd"]!.GetValue<decimal>();
        cost.ShouldBeGreaterThan(0m); // local/echo-1 has a demo price
        own["credits_usd"]!.GetValue<decimal>().ShouldBe(1.25m - cost);
        own["spent_usd"]!.GetValue<decimal>().ShouldBe(cost);
        own["last_used"]!.GetValue<long>().ShouldBeGreaterThan(0);
        own.AsObject().ContainsKey("key").ShouldBeFalse();
        gateway.Providers.ChatCommands.Values.ShouldContain(c => c.Route.OwnerId == created["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_bootstrap_key_reads_itself_as_unlimited_without_limits()
    {
        var (status, own) = await SendAsync(gateway.Client, "GET", "/v1/key");

        status.ShouldBe(HttpStatusCode.OK);
        own["id"]!.GetValue<string>().ShouldBe(gateway.KeyId);
        own["credits_usd"].ShouldBeNull();
        own["models"].ShouldBeNull();
        own["limits"]!.ToJsonString().ShouldBe("""{"rpm":null,"tpm":null,"concurrency":null}""");
    }

    [Fact]
    public async Task Lists_keys_newest_first_in_pages()
    {
        var first = (await CreateAsync("""{"name":"page-1"}"""))["id"]!.GetValue<string>();
        var second = (await CreateAsync("""{"name":"page-2"}"""))["id"]!.GetValue<string>();
        var third = (await CreateAsync("""{"name":"page-3"}"""))["id"]!.GetValue<string>();

        var (status, page) = await SendAsync(gateway.Admin, "GET", "/admin/v1/keys?limit=2");
        var (_, next) = await SendAsync(gateway.Admin, "GET", $"/admin/v1/keys?limit=1&after={second}");
        var (_, all) = await SendAsync(gateway.Admin, "GET", "/admin/v1/keys");

        status.ShouldBe(HttpStatusCode.OK);
        page["object"]!.GetValue<string>().ShouldBe("list");
        page["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()).ShouldBe([third, second]);
        page["has_more"]!.GetValue<bool>().ShouldBeTrue();
        next["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()).ShouldBe([first]);
        all["data"]!.AsArray().Count.ShouldBeLessThanOrEqualTo(20);
        all["data"]!.AsArray().ShouldAllBe(k => k!["key"] == null);
    }

    [Fact]
    public async Task Patches_fields_and_clears_them_with_null()
    {
        var id = (await CreateAsync("""{"name":"before","limits":{"rpm":5,"tpm":100}}"""))["id"]!.GetValue<string>();
        var expires = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();

        var (status, patched) = await SendAsync(gateway.Admin, "PATCH", "/admin/v1/keys/" + id,
            $$"""{"name":"after","limits":{"rpm":10,"concurrency":2},"models":["local/*"],"expires_at":{{expires}},"allow_unpriced":false}""");
        var (_, cleared) = await SendAsync(gateway.Admin, "PATCH", "/admin/v1/keys/" + id, """{"limits":{"tpm":null},"models":null,"expires_at":null}""");

        status.ShouldBe(HttpStatusCode.OK);
        patched["name"]!.GetValue<string>().ShouldBe("after");
        patched["limits"]!.ToJsonString().ShouldBe("""{"rpm":10,"tpm":100,"concurrency":2}""");
        patched["models"]!.ToJsonString().ShouldBe("""["local/*"]""");
        patched["expires_at"]!.GetValue<long>().ShouldBe(expires);
        patched["allow_unpriced"]!.GetValue<bool>().ShouldBeFalse();
        cleared["limits"]!.ToJsonString().ShouldBe("""{"rpm":10,"tpm":null,"concurrency":2}""");
        cleared["models"].ShouldBeNull();
        cleared["expires_at"].ShouldBeNull();
        cleared["name"]!.GetValue<string>().ShouldBe("after");
    }

    [Fact]
    public async Task The_async_jobs_limit_is_shown_only_on_a_key_that_has_it_and_is_patched_and_cleared_like_the_others()
    {
        var created = await CreateAsync("""{"name":"async-cap","limits":{"rpm":600,"async_jobs":50}}""");
        var id = created["id"]!.GetValue<string>();

        var (_, patched) = await SendAsync(gateway.Admin, "PATCH", "/admin/v1/keys/" + id, """{"limits":{"async_jobs":7}}""");
        var (_, read) = await SendAsync(gateway.Admin, "GET", "/admin/v1/keys/" + id, null);
        var (_, cleared) = await SendAsync(gateway.Admin, "PATCH", "/admin/v1/keys/" + id, """{"limits":{"async_jobs":null}}""");

        created["limits"]!.ToJsonString().ShouldBe("""{"rpm":600,"tpm":null,"concurrency":null,"async_jobs":50}""");
        patched["limits"]!.ToJsonString().ShouldBe("""{"rpm":600,"tpm":null,"concurrency":null,"async_jobs":7}""");
        read["limits"]!.ToJsonString().ShouldBe(patched["limits"]!.ToJsonString());
        cleared["limits"]!.ToJsonString().ShouldBe("""{"rpm":600,"tpm":null,"concurrency":null}"""); // as a key without it always read
    }

    [Fact]
    public async Task Revoking_a_key_refuses_it_at_once_and_is_idempotent()
    {
        var created = await CreateAsync("""{"name":"to-revoke"}""");
        var id = created["id"]!.GetValue<string>();
        using var client = gateway.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created["key"]!.GetValue<string>());
        (await client.GetAsync("/v1/key")).StatusCode.ShouldBe(HttpStatusCode.OK); // now cached

        var (status, revoked) = await SendAsync(gateway.Admin, "DELETE", "/admin/v1/keys/" + id);
        var (again, _) = await SendAsync(gateway.Admin, "DELETE", "/admin/v1/keys/" + id);
        var (refused, error) = await SendAsync(client, "GET", "/v1/models");

        status.ShouldBe(HttpStatusCode.OK);
        revoked["revoked"]!.GetValue<bool>().ShouldBeTrue();
        again.ShouldBe(HttpStatusCode.OK);
        refused.ShouldBe(HttpStatusCode.Unauthorized);
        error["error"]!["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        error["error"]!["code"]!.GetValue<string>().ShouldBe("unauthorized");
    }

    [Fact]
    public async Task An_expired_key_answers_401()
    {
        var created = await CreateAsync($$"""{"name":"expiring","expires_at":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}""");
        await gateway.Redis.GetDatabase().HashSetAsync(RedisKeys.ApiKey(created["id"]!.GetValue<string>()), "expires_at",
            DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds()); // as if the hour had passed (the key was never used, so not cached)
        using var client = gateway.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created["key"]!.GetValue<string>());

        var (status, error) = await SendAsync(client, "GET", "/v1/key");

        status.ShouldBe(HttpStatusCode.Unauthorized);
        error["error"]!["message"]!.GetValue<string>().ShouldContain("expired");
    }

    [Fact]
    public async Task Credit_changes_update_the_balance_and_are_written_to_the_ledger()
    {
        var id = (await CreateAsync("""{"name":"credits","credits_usd":1.5}"""))["id"]!.GetValue<string>();

        var (status, topped) = await SendAsync(gateway.Admin, "POST", $"/admin/v1/keys/{id}/credits", """{"amount_usd":10.0,"note":"December top-up"}""");
        var (taken, after) = await SendAsync(gateway.Admin, "POST", $"/admin/v1/keys/{id}/credits", """{"amount_usd":-0.000000001}""");
        var (refused, error) = await SendAsync(gateway.Admin, "POST", $"/admin/v1/keys/{id}/credits", """{"amount_usd":-20}""");
        var (_, ledger) = await SendAsync(gateway.Admin, "GET", $"/admin/v1/keys/{id}/ledger");
        var (_, page) = await SendAsync(gateway.Admin, "GET", $"/admin/v1/keys/{id}/ledger?limit=1&after={ledger["data"]![0]!["id"]!.GetValue<string>()}");

        status.ShouldBe(HttpStatusCode.OK);
        topped["credits_usd"]!.GetValue<decimal>().ShouldBe(11.5m);
        taken.ShouldBe(HttpStatusCode.OK);
        after["credits_usd"]!.GetValue<decimal>().ShouldBe(11.499999999m);
        refused.ShouldBe(HttpStatusCode.BadRequest);
        error["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("amount_usd");
        error["error"]!["code"]!.GetValue<string>().ShouldBe("insufficient_balance");

        var entries = ledger["data"]!.AsArray();
        entries.Select(e => e!["amount_usd"]!.GetValue<decimal>()).ShouldBe([-0.000000001m, 10m, 1.5m]);
        entries.Select(e => e!["balance_after_usd"]!.GetValue<decimal>()).ShouldBe([11.499999999m, 11.5m, 1.5m]);
        entries[1]!["note"]!.GetValue<string>().ShouldBe("December top-up");
        entries[1]!["who"]!.GetValue<string>().ShouldBe("admin");
        entries[1]!["key_id"]!.GetValue<string>().ShouldBe(id);
        entries[1]!["created"]!.GetValue<long>().ShouldBeGreaterThan(0);
        ledger["has_more"]!.GetValue<bool>().ShouldBeFalse();
        page["data"]!.AsArray().Single()!["amount_usd"]!.GetValue<decimal>().ShouldBe(10m);
        page["has_more"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task Refuses_credit_changes_on_an_unlimited_key()
    {
        var id = (await CreateAsync("""{"name":"unlimited"}"""))["id"]!.GetValue<string>();

        var (status, error) = await SendAsync(gateway.Admin, "POST", $"/admin/v1/keys/{id}/credits", """{"amount_usd":5}""");

        status.ShouldBe(HttpStatusCode.BadRequest);
        error["error"]!["code"]!.GetValue<string>().ShouldBe("unlimited_credits");
    }

    public static TheoryData<string, string> BadCreateBodies() => new()
    {
        { """{"name":5}""", "name" },
        { """{"name":"a\u0000b"}""", "name" },
        { """{"credits_usd":-1}""", "credits_usd" },
        { """{"credits_usd":"10"}""", "credits_usd" },
        { """{"credits_usd":1e400}""", "credits_usd" },
        { """{"credits_usd":1000000000.01}""", "credits_usd" },
        { """{"limits":{"rpm":0}}""", "limits.rpm" },
        { """{"limits":{"rpm":1.5}}""", "limits.rpm" },
        { """{"limits":{"tpm":99999999999999999999999}}""", "limits.tpm" },
        { """{"limits":{"rpx":1}}""", "limits.rpx" },
        { """{"limits":{"async_jobs":0}}""", "limits.async_jobs" },
        { """{"limits":{"async_jobs":"10"}}""", "limits.async_jobs" },
        { """{"limits":{"async_jobs":1000001}}""", "limits.async_jobs" },
        { """{"limits":[]}""", "limits" },
        { """{"models":["openai/**"]}""", "models[0]" },
        { """{"models":["local/echo-1","*/gpt"]}""", "models[1]" },
        { """{"models":["open ai/*"]}""", "models[0]" },
        { """{"models":[""]}""", "models[0]" },
        { """{"models":[7]}""", "models[0]" },
        { """{"models":"openai/*"}""", "models" },
        { """{"models":[]}""", "models" },
        { """{"expires_at":1}""", "expires_at" },
        { """{"expires_at":"tomorrow"}""", "expires_at" },
        { """{"expires_at":99999999999999999999}""", "expires_at" },
        { """{"allow_unpriced":"yes"}""", "allow_unpriced" },
        { """{"credit_usd":5}""", "credit_usd" },
        { """[]""", "body" },
        { """not json""", "body" },
        { """{"name":"x"}{}""", "body" },
        { "", "body" },
        { new string('[', 200) + new string(']', 200), "body" },
        // A repeated key is refused where it repeats (issue 11), not read as whichever comes last.
        { """{"name":"a","name":"b","models":{"$ref":"x"}}""", "name" },
        { """{"limits":{"rpm":600,"rpm":"600"}}""", "limits" },
        { """{"name":"x","note":1,"note":2}""", "note" },
        // Finer than a nano-dollar: refused, not rounded (0.0000000001 made a key with no credits).
        { """{"name":"fine","credits_usd":0.0000000001}""", "credits_usd" },
        { """{"name":"fine","credits_usd":0.1234567891234}""", "credits_usd" },
        // Beyond the 28 digits a decimal keeps: read as 0 and 0.000000001 before the check counted on the text.
        { """{"name":"fine","credits_usd":1e-29}""", "credits_usd" },
        { """{"name":"fine","credits_usd":0.000000000999999999999999999999999}""", "credits_usd" },
    };

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task Answers_400_naming_the_field_for_a_bad_create_body(string json, string field)
    {
        var (status, error) = await SendAsync(gateway.Admin, "POST", "/admin/v1/keys", json);

        status.ShouldBe(HttpStatusCode.BadRequest, error.ToJsonString());
        error["error"]!["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        error["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe(field);
        error["error"]!["message"]!.GetValue<string>().ShouldNotContain("CCApi."); // never our type names
    }

    [Theory]
    [InlineData("""{"credits_usd":5}""", "credits_usd")]
    [InlineData("""{"expires_at":1}""", "expires_at")]
    [InlineData("""{"limits":{"concurrency":-3}}""", "limits.concurrency")]
    [InlineData("""{"limits":{"async_jobs":2.5}}""", "limits.async_jobs")]
    [InlineData("""{"models":["a/b*c"]}""", "models[0]")]
    [InlineData("""{"revoked":false}""", "revoked")]
    public async Task Answers_400_naming_the_field_for_a_bad_patch(string json, string field)
    {
        var id = (await CreateAsync("""{"name":"patch-me"}"""))["id"]!.GetValue<string>();

        var (status, error) = await SendAsync(gateway.Admin, "PATCH", "/admin/v1/keys/" + id, json);

        status.ShouldBe(HttpStatusCode.BadRequest, error.ToJsonString());
        error["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe(field);
    }

    [Theory]
    [InlineData("""{}""", "amount_usd")]
    [InlineData("""{"amount_usd":0}""", "amount_usd")]
    [InlineData("""{"amount_usd":"10"}""", "amount_usd")]
    [InlineData("""{"amount_usd":1e30}""", "amount_usd")]
    [InlineData("""{"amount_usd":0.0000000004}""", "amount_usd")]
    [InlineData("""{"amount_usd":-1.0000000001}""", "amount_usd")]
    [InlineData("""{"amount_usd":0.50000000000000000000000000001}""", "amount_usd")]
    [InlineData("""{"amount_usd":1,"note":42}""", "note")]
    [InlineData("""{"amount_usd":1,"who":"me"}""", "who")]
    public async Task Answers_400_naming_the_field_for_a_bad_credit_change(string json, string field)
    {
        var id = (await CreateAsync("""{"name":"bad-credits","credits_usd":1}"""))["id"]!.GetValue<string>();

        var (status, error) = await SendAsync(gateway.Admin, "POST", $"/admin/v1/keys/{id}/credits", json);

        status.ShouldBe(HttpStatusCode.BadRequest, error.ToJsonString());
        error["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe(field);
    }

    [Theory]
    [InlineData("/admin/v1/keys?limit=0", "limit")]
    [InlineData("/admin/v1/keys?limit=101", "limit")]
    [InlineData("/admin/v1/keys?limit=abc", "limit")]
    [InlineData("/admin/v1/keys?after=key_ffffffffffffffff", "after")]
    [InlineData("/admin/v1/keys?after=nonsense", "after")]
    [InlineData("/admin/v1/keys/key_0000000000000000/ledger?after=nonsense", "after")]
    [InlineData("/admin/v1/keys/key_0000000000000000/ledger?after=99999999999999999999-99999999999999999999", "after")]
    [InlineData("/admin/v1/keys/key_0000000000000000/ledger?after=1-18446744073709551616", "after")]
    [InlineData("/admin/v1/keys/key_0000000000000000/ledger?after=0-0", "after")]
    public async Task Answers_400_naming_the_parameter_for_bad_paging(string path, string field)
    {
        var (status, error) = await SendAsync(gateway.Admin, "GET", path);

        status.ShouldBe(HttpStatusCode.BadRequest);
        error["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe(field);
    }

    [Theory]
    [InlineData("GET", "/admin/v1/keys/" + UnknownId, null)]
    [InlineData("GET", "/admin/v1/keys/not-a-key-id", null)]
    [InlineData("PATCH", "/admin/v1/keys/" + UnknownId, """{"name":"x"}""")]
    [InlineData("DELETE", "/admin/v1/keys/" + UnknownId, null)]
    [InlineData("POST", "/admin/v1/keys/" + UnknownId + "/credits", """{"amount_usd":1}""")]
    [InlineData("GET", "/admin/v1/keys/" + UnknownId + "/ledger", null)]
    public async Task Answers_404_for_an_unknown_key_id(string method, string path, string? json)
    {
        var (status, error) = await SendAsync(gateway.Admin, method, path, json);

        status.ShouldBe(HttpStatusCode.NotFound);
        error["error"]!["code"]!.GetValue<string>().ShouldBe("not_found");
        (await gateway.Redis.GetDatabase().KeyExistsAsync(RedisKeys.ApiKey(UnknownId))).ShouldBeFalse();
    }

    [Theory]
    [InlineData("GET", "/admin/v1/keys")]
    [InlineData("POST", "/admin/v1/keys")]
    [InlineData("GET", "/admin/v1/keys/" + UnknownId)]
    [InlineData("DELETE", "/admin/v1/keys/" + UnknownId)]
    public async Task Client_keys_and_no_key_get_401_on_admin_routes(string method, string path)
    {
        foreach (var client in new[] { gateway.Client, gateway.OtherClient, gateway.Anonymous })
        {
            var (status, error) = await SendAsync(client, method, path, method == "POST" ? """{"name":"x"}""" : null);

            status.ShouldBe(HttpStatusCode.Unauthorized);
            error["error"]!["code"]!.GetValue<string>().ShouldBe("unauthorized");
        }
    }

    [Theory]
    [InlineData("GET", "/v1/models")]
    [InlineData("GET", "/v1/key")]
    [InlineData("POST", "/v1/chat/completions")]
    public async Task The_admin_key_gets_401_on_client_routes(string method, string path)
    {
        var (status, _) = await SendAsync(gateway.Admin, method, path,
            method == "POST" ? """{"model":"local/echo-1","messages":[{"role":"user","content":"hi"}]}""" : null);

        status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Documents_the_admin_routes_in_the_OpenAPI_document()
    {
        var document = await gateway.Anonymous.GetStringAsync("/openapi/v1.json");

        document.ShouldContain("/admin/v1/keys/{id}/credits");
        document.ShouldContain("/admin/v1/keys/{id}/ledger");
        document.ShouldContain("/v1/key");
        var json = JsonNode.Parse(document)!;
        json["components"]!["securitySchemes"]!["admin_key"]!["scheme"]!.GetValue<string>().ShouldBe("bearer");
        json["components"]!["securitySchemes"]!["api_key"]!["scheme"]!.GetValue<string>().ShouldBe("bearer");
        json["paths"]!["/admin/v1/keys"]!["post"]!["security"]![0]!.AsObject().ContainsKey("admin_key").ShouldBeTrue();
        json["paths"]!["/v1/chat/completions"]!["post"]!["security"]![0]!.AsObject().ContainsKey("api_key").ShouldBeTrue();
    }

    [Theory]
    [InlineData("1", 0)]
    [InlineData("-0", 0)]
    [InlineData("0.000e-40", 0)]
    [InlineData("1.50", 1)]
    [InlineData("1.500000000000000000000", 1)]
    [InlineData("0.000000001", 9)]
    [InlineData("-0.0000000001", 10)]
    [InlineData("1e-9", 9)]
    [InlineData("1E-29", 29)]
    [InlineData("123e-2", 2)]
    [InlineData("1200e-2", 0)]
    [InlineData("1.5e3", 0)]
    [InlineData("1.23456e2", 3)]
    [InlineData("0.50000000000000000000000000001", 29)]
    public void Decimal_places_are_counted_on_the_numbers_text(string number, int places) =>
        Accounts.KeyRequests.DecimalPlaces(number).ShouldBe(places);
}
