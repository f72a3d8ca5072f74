using CCApi.Gateway.Auth;
using CCApi.Storage;

namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AuthTests(GatewayFixture gateway)
{
    public static TheoryData<string, string> Routes()
    {
        var data = new TheoryData<string, string>();
        foreach (var prefix in new[] { "/v1", "" })
        {
            data.Add("POST", prefix + "/chat/completions");
            data.Add("POST", prefix + "/audio/speech");
            data.Add("POST", prefix + "/images/generations");
            data.Add("POST", prefix + "/images/generate");
            data.Add("GET", prefix + "/images/jobs/img_" + Guid.Empty.ToString("N"));
            data.Add("GET", prefix + "/models");
            data.Add("GET", prefix + "/providers");
            data.Add("GET", prefix + "/providers/local");
        }

        return data;
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? authorization)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("""{"model":"local/echo-1"}""", Encoding.UTF8, "application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await gateway.Anonymous.SendAsync(request);
    }

    private static async Task ShouldBeUnauthorizedAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
        (await response.Content.ReadAsStringAsync()).ShouldBe(
            """{"error":{"message":"Missing or invalid Authorization header","type":"invalid_request_error","code":"unauthorized"}}""");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Answers_401_without_an_Authorization_header(string method, string path) =>
        await ShouldBeUnauthorizedAsync(await SendAsync(method, path, null));

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Answers_401_for_an_unknown_key(string method, string path) =>
        await ShouldBeUnauthorizedAsync(await SendAsync(method, path, "Bearer sk-not-a-real-key-" + Guid.NewGuid().ToString("N")));

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer    ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("sk-just-the-key-without-scheme")]
    public async Task Answers_401_for_a_malformed_Authorization_header(string header) =>
        await ShouldBeUnauthorizedAsync(await SendAsync("GET", "/v1/models", header));

    [Fact]
    public async Task Accepts_the_scheme_in_any_case()
    {
        var response = await SendAsync("GET", "/v1/models", "bearer " + gateway.ApiKey);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Accepts_a_key_stored_directly_in_Redis()
    {
        var response = await gateway.OtherClient.GetAsync("/v1/models");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Stores_the_bootstrap_key_only_as_its_SHA256_hash_with_id_and_name()
    {
        var db = gateway.Redis.GetDatabase();
        var hash = ApiKeyStore.Hash(gateway.ApiKey);

        hash.ShouldMatch("^[0-9a-f]{64}$");
        ((string?)await db.StringGetAsync(RedisKeys.ApiKeyLookup(hash))).ShouldBe("key_" + hash[..16]);
        var entry = (await db.HashGetAllAsync(RedisKeys.ApiKey("key_" + hash[..16]))).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        entry["id"].ShouldBe("key_" + hash[..16]);
        entry["name"].ShouldBe("bootstrap");
        entry.ShouldNotContainKey("credits_nusd"); // unlimited
        long.Parse(entry["created"]).ShouldBeGreaterThan(0);
        entry.Values.ShouldNotContain(gateway.ApiKey);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    public async Task Serves_health_and_the_OpenAPI_document_without_a_key(string path)
    {
        var response = await gateway.Anonymous.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Lists_the_public_routes_in_the_OpenAPI_document()
    {
        var document = await gateway.Anonymous.GetStringAsync("/openapi/v1.json");

        document.ShouldContain("/v1/chat/completions");
        document.ShouldContain("/v1/images/generate");
        document.ShouldContain("/v1/images/jobs/{id}");
        document.ShouldNotContain("\"/chat/completions\"");
    }

    [Fact]
    public async Task Reports_the_catalog_check_in_readiness()
    {
        var body = await gateway.Anonymous.GetStringAsync("/health/ready");

        body.ShouldContain("\"catalog\":\"Healthy\"");
        body.ShouldContain("\"redis\":\"Healthy\"");
    }

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("BEARER  abc  ", "abc")]
    [InlineData("Bearer", null)]
    [InlineData("", null)]
    [InlineData("Token abc", null)]
    public void Parses_the_token_out_of_a_bearer_header(string header, string? token) =>
        ApiKeyEndpointFilter.ParseBearer(header).ShouldBe(token);

    [Fact]
    public void Refuses_absurdly_long_tokens_without_hashing_them() =>
        ApiKeyEndpointFilter.ParseBearer("Bearer " + new string('x', 600)).ShouldBeNull();
}
