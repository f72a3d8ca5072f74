using System.ClientModel;
using System.Net.Http.Headers;
using OpenAI.Chat;

namespace CCApi.Gateway.Tests;

/// <summary>
/// What a created key may do: model allow-lists (globs and exact ids) and unpriced models answer 403 before anything
/// is dispatched; changes and revocations reach this replica and a second one through ApiKeyChanged, not a cache TTL;
/// without an admin key the admin API does not exist.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KeyAccessTests(GatewayFixture gateway)
{
    private const string ChatBody = """{"model":"MODEL","messages":[{"role":"user","content":"allow-list MARK"}]}""";

    private async Task<HttpResponseMessage> ChatAsync(HttpClient client, string model, string mark) =>
        await gateway.PostJsonAsync("/v1/chat/completions", ChatBody.Replace("MODEL", model).Replace("MARK", mark), client);

    private static async Task ShouldBeNotAllowedAsync(HttpResponseMessage response, string model)
    {
        var error = await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.Forbidden, "permission_error", "model_not_allowed");
        error["details"]!["model"]!.GetValue<string>().ShouldBe(model);
    }

    [Fact]
    public async Task A_provider_glob_admits_that_provider_and_refuses_others_before_dispatch()
    {
        var mark = Guid.NewGuid().ToString("N");
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"glob","models":["local/*"]}""");
        using var _ = client;

        var allowed = await ChatAsync(client, "local/echo-1", mark);
        var refused = await ChatAsync(client, "openai/gpt-4o-mini", mark + "-refused");

        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldBeNotAllowedAsync(refused, "openai/gpt-4o-mini");
        gateway.Providers.FindChat(mark + "-refused").ShouldBeNull();
    }

    [Fact]
    public async Task A_model_the_key_may_not_use_is_403_even_when_its_provider_is_down()
    {
        gateway.Internal.Status("elevenlabs").ShouldBe("unavailable");
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"down-and-refused","models":["local/*"]}""");
        using var _ = client;

        var speech = await gateway.PostJsonAsync("/v1/audio/speech",
            """{"model":"elevenlabs/eleven_turbo_v2","input":"hi","voice":"aria","output_format":"mp3"}""", client);

        await ShouldBeNotAllowedAsync(speech, "elevenlabs/eleven_turbo_v2"); // never a 503 that invites a retry
    }

    [Fact]
    public async Task An_exact_id_admits_only_that_model_on_every_model_route()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"exact","models":["local/echo-1","openai/gpt-4o*"]}""");
        using var _ = client;

        var image = await gateway.PostJsonAsync("/v1/images/generations", """{"model":"local/pixel-1","prompt":"a fox"}""", client);
        var speech = await gateway.PostJsonAsync("/v1/audio/speech", """{"model":"local/espeak-1","input":"hello","voice":"alloy"}""", client);
        var generate = await gateway.PostJsonAsync("/v1/images/generate", """{"model":"local/pixel-1","contents":[{"text":"a fox"}]}""", client);
        var prefixed = await ChatAsync(client, "openai/gpt-4o-mini", Guid.NewGuid().ToString("N"));

        await ShouldBeNotAllowedAsync(image, "local/pixel-1");
        await ShouldBeNotAllowedAsync(speech, "local/espeak-1");
        await ShouldBeNotAllowedAsync(generate, "local/pixel-1");
        prefixed.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_key_refusing_unpriced_models_gets_403_for_a_pass_through_id()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"priced-only","allow_unpriced":false}""");
        using var _ = client;

        var passThrough = await ChatAsync(client, "openai/some-unlisted-model", Guid.NewGuid().ToString("N"));
        var priced = await ChatAsync(client, "openai/gpt-4o-mini", Guid.NewGuid().ToString("N"));

        await ShouldBeNotAllowedAsync(passThrough, "openai/some-unlisted-model");
        priced.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_patched_allow_list_applies_to_the_next_request_although_the_key_was_cached()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"patched"}""");
        using var _ = client;
        (await ChatAsync(client, "openai/gpt-4o-mini", Guid.NewGuid().ToString("N"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/admin/v1/keys/" + id) { Content = JsonContent("""{"models":["local/*"]}""") };
        (await gateway.Admin.SendAsync(patch)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await ShouldBeNotAllowedAsync(await ChatAsync(client, "openai/gpt-4o-mini", Guid.NewGuid().ToString("N")), "openai/gpt-4o-mini");
    }

    [Fact]
    public async Task The_OpenAI_SDK_surfaces_403_for_a_disallowed_model_and_401_for_a_revoked_key()
    {
        var response = await gateway.PostJsonAsync("/admin/v1/keys", """{"name":"sdk","models":["local/*"]}""", gateway.Admin);
        var created = await GatewayFixture.ReadJsonAsync(response);
        var sdk = gateway.Sdk(created["key"]!.GetValue<string>());

        var forbidden = await Should.ThrowAsync<ClientResultException>(() =>
            sdk.GetChatClient("openai/gpt-4o-mini").CompleteChatAsync([new UserChatMessage("hello")]));
        (await sdk.GetChatClient("local/echo-1").CompleteChatAsync([new UserChatMessage("hello")])).Value.Content[0].Text.ShouldBe("local says: hello");
        (await gateway.Admin.DeleteAsync("/admin/v1/keys/" + created["id"]!.GetValue<string>())).StatusCode.ShouldBe(HttpStatusCode.OK);
        var unauthorized = await Should.ThrowAsync<ClientResultException>(() =>
            sdk.GetChatClient("local/echo-1").CompleteChatAsync([new UserChatMessage("hello")]));

        forbidden.Status.ShouldBe(403);
        forbidden.Message.ShouldContain("model_not_allowed");
        unauthorized.Status.ShouldBe(401);
    }

    [Fact]
    public async Task A_revocation_reaches_a_second_gateway_within_one_second_through_the_event()
    {
        await using var second = gateway.NewGateway(adminKey: gateway.AdminApiKey, cacheTtl: "00:10:00"); // only the event can evict it
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"replicated"}""", factory: second);
        using var _ = client;
        (await client.GetAsync("/v1/key")).StatusCode.ShouldBe(HttpStatusCode.OK); // cached on the second gateway

        (await gateway.Admin.DeleteAsync("/admin/v1/keys/" + id)).StatusCode.ShouldBe(HttpStatusCode.OK); // on the first
        var refused = await TestInfrastructure.EventuallyAsync(
            async () => (await client.GetAsync("/v1/key")).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(20));

        refused.ShouldBeTrue();
    }

    [Fact]
    public async Task Without_an_admin_key_every_admin_route_answers_404()
    {
        await using var plain = gateway.NewGateway(adminKey: null);
        using var admin = plain.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", gateway.AdminApiKey);

        foreach (var path in new[] { "/admin/v1/keys", "/admin/v1/keys/key_0000000000000000", "/admin/v1/keys/key_0000000000000000/ledger" })
        {
            var response = await admin.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("not_found");
        }

        (await admin.PostAsync("/admin/v1/keys", JsonContent("{}"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("too-short-admin-key")]
    [InlineData("BOOTSTRAP")]
    public async Task Refuses_to_start_with_a_short_admin_key_or_one_equal_to_the_bootstrap_key(string adminKey)
    {
        await using var factory = gateway.NewGateway(adminKey: adminKey == "BOOTSTRAP" ? gateway.ApiKey : adminKey);

        var failure = factory.StartupFailure();

        failure.ToString().ShouldContain("Auth:AdminApiKey");
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
