using System.Net;
using CCApi.Contracts;
using CCApi.Gateway.Catalog;
using CCApi.Gateway.Tests.Fixtures;
using CCApi.ServiceDefaults;
using CCApi.Testing;

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

    [Fact]
    public async Task Relays_the_catalogs_400_naming_the_parameter()
    {
        var response = await gateway.Client.GetAsync("/models?limit=abc");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("limit");
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
        try
        {
            gateway.Internal.SetStatus("stabilityai", "unavailable");
            await gateway.Providers.Bus.Publish(new CatalogChanged { Timestamp = DateTimeOffset.UtcNow, Version = "test" });

            (await TestInfrastructure.EventuallyAsync(async () =>
                (await gateway.PostJsonAsync("/v1/images/generations", StabilityRequest)).StatusCode == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100))).ShouldBeTrue();
            var error = (await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations", StabilityRequest)))["error"]!;
            error["code"]!.GetValue<string>().ShouldBe("provider_unavailable");
        }
        finally
        {
            gateway.Internal.SetStatus("stabilityai", "available");
            await gateway.Providers.Bus.Publish(new CatalogChanged { Timestamp = DateTimeOffset.UtcNow, Version = "test" });
        }

        (await TestInfrastructure.EventuallyAsync(async () =>
            (await gateway.PostJsonAsync("/v1/images/generations", StabilityRequest)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100))).ShouldBeTrue();
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
            gateway.Internal.SetStatus("openai", "unavailable");
            await gateway.Providers.Bus.Publish(new CatalogChanged { Timestamp = DateTimeOffset.UtcNow, Version = "test" });
            (await TestInfrastructure.EventuallyAsync(async () =>
                (await gateway.PostJsonAsync("/v1/chat/completions", OpenAiOnly)).StatusCode == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100))).ShouldBeTrue();
            var marker = Guid.NewGuid().ToString("N");

            var response = await gateway.PostJsonAsync("/v1/chat/completions",
                $$"""{"models":["openai/gpt-4o-mini","local/echo-1"],"messages":[{"role":"user","content":"{{marker}}"}]}""");

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await GatewayFixture.ReadJsonAsync(response))["model"]!.GetValue<string>().ShouldBe("local/echo-1");
            gateway.Providers.ChatCommands.Values.Where(c => c.Messages[0].Content == marker).ShouldHaveSingleItem().Route.Provider.ShouldBe("local");
        }
        finally
        {
            gateway.Internal.SetStatus("openai", "available");
            await gateway.Providers.Bus.Publish(new CatalogChanged { Timestamp = DateTimeOffset.UtcNow, Version = "test" });
            (await TestInfrastructure.EventuallyAsync(async () =>
                (await gateway.PostJsonAsync("/v1/chat/completions", OpenAiOnly)).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100))).ShouldBeTrue();
        }
    }
}
