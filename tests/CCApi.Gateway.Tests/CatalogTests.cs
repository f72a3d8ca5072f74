using CCApi.Contracts;
using CCApi.Gateway.Catalog;
using CCApi.ServiceDefaults;

namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class CatalogRelayTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Relays_models_with_the_query_string_forwarded()
    {
        var response = await gateway.Client.GetAsync("/v1/models?provider=local&type=chat&sort=id&order=desc&limit=5&offset=1");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["object"]!.GetValue<string>().ShouldBe("list");
        body["data"]![0]!["id"]!.GetValue<string>().ShouldBe("local/echo-1");
        gateway.Internal.LastModelsQuery.ShouldBe("?provider=local&type=chat&sort=id&order=desc&limit=5&offset=1");
    }

    [Theory]
    [InlineData("/v1/models?provider=local&provider=openai", "provider")]
    [InlineData("/models?limit=1&limit=1", "limit")]
    [InlineData("/v1/models/local%2Fecho-1?x=1&sort=id&sort=id", "sort")]
    [InlineData("/admin/v1/keys?limit=5&limit=6", "limit")]
    [InlineData("/v1/chat/completions/chatcmpl-00000000000000000000000000000000/stream?after=1-0&after=2-0", "after")]
    public async Task A_query_parameter_given_twice_is_a_400_naming_it_on_every_route(string path, string field)
    {
        var client = path.StartsWith("/admin", StringComparison.Ordinal) ? gateway.Admin : gateway.Client;

        var response = await client.GetAsync(path);

        var error = await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "invalid_request");
        error["details"]!["param"]!.GetValue<string>().ShouldBe(field);
        error["message"]!.GetValue<string>().ShouldContain("given 2 times");
    }

    [Fact]
    public async Task Relays_the_catalogs_400_naming_the_parameter()
    {
        var response = await gateway.Client.GetAsync("/models?limit=abc");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("limit");
    }

    [Theory]
    [InlineData("/v1/models/local/echo-1")]
    [InlineData("/v1/models/local%2Fecho-1")]
    [InlineData("/models/local/echo-1")]
    public async Task Relays_one_model_by_an_id_holding_a_slash_plain_or_percent_encoded(string path)
    {
        var response = await gateway.Client.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["id"]!.GetValue<string>().ShouldBe("local/echo-1");
        body["object"]!.GetValue<string>().ShouldBe("model");
    }

    [Fact]
    public async Task Relays_404_model_not_found_for_an_unknown_model()
    {
        var response = await gateway.Client.GetAsync("/v1/models/local/nope");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("model_not_found");
    }

    [Fact]
    public async Task A_key_with_an_allow_list_sees_only_the_models_it_admits()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"models-view","models":["local/*"]}""");

        (await client.GetAsync("/v1/models?type=chat&allowed_models=*")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var forwarded = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(gateway.Internal.LastModelsQuery);
        forwarded["type"].ToString().ShouldBe("chat");
        forwarded["allowed_models"].ToString().ShouldBe("local/*"); // the key's list, not the client's "*"

        var hidden = await client.GetAsync("/v1/models/openai/gpt-4o-mini");
        hidden.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await GatewayFixture.ReadJsonAsync(hidden))["error"]!["code"]!.GetValue<string>().ShouldBe("model_not_found");
        (await client.GetAsync("/v1/models/local/echo-1")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Providers_are_asked_for_with_the_keys_allow_list_only()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"providers-view","models":["local/*"]}""");
        using var _ = client;

        (await client.GetAsync("/v1/providers/local?allowed_models=*")).StatusCode.ShouldBe(HttpStatusCode.OK);
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(gateway.Internal.LastProvidersQuery)["allowed_models"].ToString().ShouldBe("local/*");
        (await client.GetAsync("/v1/providers")).StatusCode.ShouldBe(HttpStatusCode.OK);
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(gateway.Internal.LastProvidersQuery)["allowed_models"].ToString().ShouldBe("local/*");
        (await gateway.Client.GetAsync("/v1/providers?allowed_models=openai/*")).StatusCode.ShouldBe(HttpStatusCode.OK);
        gateway.Internal.LastProvidersQuery.ShouldBe(""); // the bootstrap key has no list, and a client's own is dropped
    }

    [Fact]
    public async Task A_client_cannot_widen_its_view_through_allowed_models()
    {
        (await gateway.Client.GetAsync("/v1/models?allowed_models=openai/*&limit=5")).StatusCode.ShouldBe(HttpStatusCode.OK);

        gateway.Internal.LastModelsQuery.ShouldBe("?limit=5");
    }

    [Theory]
    [InlineData("/v1/providers", HttpStatusCode.OK)]
    [InlineData("/providers", HttpStatusCode.OK)]
    [InlineData("/v1/providers/local", HttpStatusCode.OK)]
    [InlineData("/v1/providers/nope", HttpStatusCode.NotFound)]
    public async Task Relays_providers_status_and_body(string path, HttpStatusCode status)
    {
        var response = await gateway.Client.GetAsync(path);

        response.StatusCode.ShouldBe(status);
        (await GatewayFixture.ReadJsonAsync(response)).ShouldNotBeNull();
    }

    [Fact]
    public async Task Answers_503_when_the_catalog_service_is_unreachable()
    {
        var client = new CatalogClient(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{TestInfrastructure.FreePort()}/") });

        var error = await Should.ThrowAsync<ApiException>(() => client.RelayAsync("models", CancellationToken.None));

        error.Status.ShouldBe(503);
        error.Type.ShouldBe(ErrorTypes.Api);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class CatalogSnapshotTests(GatewayFixture gateway)
{
    private const string StabilityRequest = """{"model":"stabilityai/stable-diffusion-xl-1024-v1-0","prompt":"a fox","size":"1024x1024"}""";

    [Fact]
    public async Task Refreshes_the_snapshot_on_CatalogChanged_so_a_downed_provider_answers_503_at_once()
    {
        (await gateway.PostJsonAsync("/v1/images/generations", StabilityRequest)).StatusCode.ShouldBe(HttpStatusCode.OK);
        bool restored;
        try
        {
            (await gateway.SetProviderStatusAsync("stabilityai", "unavailable", "/v1/images/generations", StabilityRequest, HttpStatusCode.ServiceUnavailable))
                .ShouldBeTrue();
            var error = (await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations", StabilityRequest)))["error"]!;
            error["code"]!.GetValue<string>().ShouldBe("provider_unavailable");
        }
        finally
        {
            restored = await gateway.SetProviderStatusAsync("stabilityai", "available", "/v1/images/generations", StabilityRequest, HttpStatusCode.OK);
        }

        restored.ShouldBeTrue();
    }

    [Fact]
    public async Task A_size_the_model_cannot_make_is_a_400_even_while_its_provider_is_down()
    {
        const string TooSmall = """{"model":"stabilityai/stable-diffusion-xl-1024-v1-0","prompt":"a fox","size":"512x512"}""";
        bool restored;
        try
        {
            (await gateway.SetProviderStatusAsync("stabilityai", "unavailable", "/v1/images/generations", StabilityRequest, HttpStatusCode.ServiceUnavailable))
                .ShouldBeTrue();

            // A 503 would be retried by the SDKs, for a request that can never succeed.
            (await GatewayFixture.ShouldBeErrorAsync(await gateway.PostJsonAsync("/v1/images/generations", TooSmall), HttpStatusCode.BadRequest, "invalid_request_error", "invalid_request"))
                ["param"]!.GetValue<string>().ShouldBe("size");
        }
        finally
        {
            restored = await gateway.SetProviderStatusAsync("stabilityai", "available", "/v1/images/generations", StabilityRequest, HttpStatusCode.OK);
        }

        restored.ShouldBeTrue();
    }

    [Fact]
    public async Task Readiness_check_is_unhealthy_until_a_snapshot_is_loaded()
    {
        var snapshot = new CatalogSnapshot();
        var check = new CatalogHealthCheck(snapshot);

        (await check.CheckHealthAsync(new())).Status.ShouldBe(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy);
        snapshot.Update(new CatalogDocument { Version = "v1", Providers = [], Models = [] });
        (await check.CheckHealthAsync(new())).Status.ShouldBe(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class UnavailableProviderFailoverTests(GatewayFixture gateway)
{
    private const string OpenAiOnly = """{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task Skips_a_candidate_whose_provider_is_unavailable_without_sending_it_anything()
    {
        try
        {
            (await gateway.SetProviderStatusAsync("openai", "unavailable", "/v1/chat/completions", OpenAiOnly, HttpStatusCode.ServiceUnavailable)).ShouldBeTrue();
            var marker = Guid.NewGuid().ToString("N");

            var response = await gateway.PostJsonAsync("/v1/chat/completions",
                $$"""{"models":["openai/gpt-4o-mini","local/echo-1"],"messages":[{"role":"user","content":"{{marker}}"}]}""");

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await GatewayFixture.ReadJsonAsync(response))["model"]!.GetValue<string>().ShouldBe("local/echo-1");
            gateway.Providers.ChatCommands.Values.Where(c => c.Messages[0].Content == marker).ShouldHaveSingleItem().Route.Provider.ShouldBe("local");
        }
        finally
        {
            (await gateway.SetProviderStatusAsync("openai", "available", "/v1/chat/completions", OpenAiOnly, HttpStatusCode.OK)).ShouldBeTrue();
        }
    }
}
