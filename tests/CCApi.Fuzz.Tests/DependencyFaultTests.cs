using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// What a client sees when a piece of the platform is missing: a provider whose adapter is not running answers 503
/// provider_unavailable at once (the gateway waits up to a minute for an adapter here, so a request that waited would
/// fail this test by its client timeout, not pass slowly); the configured key keeps working when Redis lost its records.
/// </summary>
public sealed class DependencyFaultTests(FuzzPlatform platform) : FuzzTest(platform)
{
    public static TheoryData<string, string> NoAdapter() => new()
    {
        { "/v1/chat/completions", """{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""" },
        { "/v1/chat/completions", """{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}""" },
        { "/v1/images/generations", """{"model":"openai/dall-e-3","prompt":"p","size":"1024x1024"}""" },
        { "/v1/images/generate", """{"model":"stabilityai/stable-diffusion-xl-1024-v1-0","contents":[{"text":"p"}]}""" },
        { "/v1/images/generate", """{"model":"imaginepro/nano-banana","contents":[{"text":"p"}]}""" },
        { "/v1/audio/speech", """{"model":"elevenlabs/eleven_turbo_v2","input":"hi","voice":"21m00Tcm4TlvDq8ikWAM"}""" },
    };

    [Theory]
    [MemberData(nameof(NoAdapter))]
    public async Task A_model_whose_provider_has_no_running_adapter_answers_503_provider_unavailable_without_waiting(string path, string body)
    {
        // The client gives up long before the gateway's own 60 s request timeout: only an answer that did not wait passes.
        using var client = Platform.CreateClient(timeout: TimeSpan.FromSeconds(10));

        using var response = await client.PostAsync(path, Json(body));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, text);
        var error = JsonNode.Parse(text)!["error"]!;
        ((string?)error["code"]).ShouldBe("provider_unavailable");
        ((string?)error["type"]).ShouldBe("api_error");
        ((string?)error["details"]?["provider"]).ShouldNotBeNullOrEmpty();
        ((string?)error["message"] ?? "").ShouldContain("no adapter is running");
    }

    [Fact]
    public async Task The_catalog_still_calls_those_providers_degraded_so_the_answer_came_from_the_broker()
    {
        using var client = Platform.CreateClient();

        var provider = JsonNode.Parse(await client.GetStringAsync("/v1/providers/openai"))!;

        ((string?)provider["status"]).ShouldBe("degraded");
    }

    [Fact]
    public async Task The_bootstrap_key_works_again_at_once_after_Redis_lost_its_records()
    {
        using var client = Platform.CreateClient();
        (await client.GetAsync("/v1/key")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Platform.ApiKey)));
        var id = "key_" + hash[..16];
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var db = redis.GetDatabase();

        // What a Redis restarted empty (or flushed) looks like to this key; FLUSHALL itself would also hit the other
        // test assemblies sharing the native Redis.
        (await db.KeyDeleteAsync([$"ccapi:{{key:{id}}}", $"ccapi:{{keyhash:{hash}}}"])).ShouldBe(2);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // past Auth:CacheTtl (1 s): the next request reads Redis

        using var response = await client.GetAsync("/v1/key");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        (await db.KeyExistsAsync($"ccapi:{{key:{id}}}")).ShouldBeTrue();
        (await db.KeyExistsAsync($"ccapi:{{keyhash:{hash}}}")).ShouldBeTrue();
    }
}
