using System.Net.Http.Headers;
using CCApi.Gateway.Http;
using CCApi.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Gateway.Tests;

/// <summary>
/// Redis gone from one gateway (behind a <see cref="TcpProxy"/> that is cut): the routes that read or write it without a
/// catch of their own answer 503 service_unavailable through the shared error handler's Redis mapping
/// (<see cref="RedisErrorMapping"/>), never a 500 — a signed file, a stream's resume, the multipart image routes'
/// input uploads (each answered 500 internal_error before).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RedisOutageTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Routes_that_meet_a_Redis_outage_answer_503_service_unavailable()
    {
        using var redis = new TcpProxy(TestInfrastructure.RedisEndpoint);
        await using var isolated = gateway.NewGateway(adminKey: null, cacheTtl: "00:10:00",
            new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = TestInfrastructure.RedisAt(redis.Endpoint) });
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"redis-outage"}""", isolated);
        using var _ = client;
        using var anonymous = isolated.CreateClient();
        (await gateway.PostJsonAsync("/v1/chat/completions", """{"model":"local/echo-1","messages":[{"role":"user","content":"warm"}]}""", client))
            .StatusCode.ShouldBe(HttpStatusCode.OK); // the key is cached now
        var request = new DefaultHttpContext().Request;
        request.Scheme = "http";
        request.Host = new HostString("localhost");
        var file = new Uri(isolated.Services.GetRequiredService<PublicUrls>().File(request, Guid.NewGuid().ToString("N"), "image/png")).PathAndQuery;

        redis.Cut();

        await ShouldBeUnavailableAsync(await anonymous.GetAsync(file));
        await ShouldBeUnavailableAsync(await client.GetAsync($"/v1/chat/completions/chatcmpl-{Guid.NewGuid():N}/stream"));
        await ShouldBeUnavailableAsync(await client.PostAsync("/v1/images/edits", Form(("prompt", "a red square"))));
        await ShouldBeUnavailableAsync(await client.PostAsync("/v1/images/variations", Form()));
    }

    private static async Task ShouldBeUnavailableAsync(HttpResponseMessage response)
    {
        var body = await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.ServiceUnavailable, "api_error", "service_unavailable");
        body["message"]!.GetValue<string>().ShouldNotContain("Redis"); // says what to do, not what broke inside
    }

    private static MultipartFormDataContent Form(params (string Name, string Value)[] fields)
    {
        var image = new ByteArrayContent(FakeProviders.Png);
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var form = new MultipartFormDataContent { { image, "image", "image.png" }, { new StringContent("local/pixel-1"), "model" } };
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }
}
