using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.Gateway.Accounts;
using CCApi.Gateway.Auth;
using CCApi.Outbound;
using CCApi.Storage;
using OpenAI;
using StackExchange.Redis;

namespace CCApi.Gateway.Tests.Fixtures;

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    /// <summary>One gateway, one set of fakes: tests run one after another and share the queues of the "gateway" vhost.</summary>
    public const string Name = "gateway";
}

/// <summary>
/// The gateway hosted in-process (ServiceFactory, real RabbitMQ vhost "gateway" and Redis) against a stub Catalog/JobStatus
/// and fake adapters. Two API keys: the bootstrap key (configured) and a second one stored directly in Redis.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public string ApiKey { get; } = "sk-gw-test-" + Guid.NewGuid().ToString("N");
    public string OtherApiKey { get; } = "sk-gw-other-" + Guid.NewGuid().ToString("N");
    public string AdminApiKey { get; } = "admin-gw-test-" + Guid.NewGuid().ToString("N");

    public string KeyId => ApiKeyStore.KeyIdFor(ApiKeyStore.Hash(ApiKey));
    public string OtherKeyId => ApiKeyStore.KeyIdFor(ApiKeyStore.Hash(OtherApiKey));

    public StubInternalServices Internal { get; private set; } = null!;
    public FakeProviders Providers { get; private set; } = null!;
    public ServiceFactory<Program> Factory { get; private set; } = null!;
    public ConnectionMultiplexer Redis { get; private set; } = null!;

    /// <summary>A Standard Webhooks secret, so async jobs may carry webhook_url.</summary>
    public const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// <summary>Carries the bootstrap key.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>Carries the second key.</summary>
    public HttpClient OtherClient { get; private set; } = null!;

    /// <summary>Carries the admin key.</summary>
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>No Authorization header.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var otherId = await new ApiKeyRepository(Redis, TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new Credits.CreditOptions())).StoreConfiguredAsync(OtherApiKey, "other");
        await Redis.GetDatabase().KeyExpireAsync(RedisKeys.ApiKey(otherId), TimeSpan.FromHours(1));
        await Redis.GetDatabase().KeyExpireAsync(RedisKeys.ApiKeyLookup(ApiKeyStore.Hash(OtherApiKey)), TimeSpan.FromHours(1));

        Internal = await StubInternalServices.StartAsync();
        Internal.SetStatus("elevenlabs", "unavailable");
        Providers = await FakeProviders.StartAsync(Redis, Internal);
        Factory = new ServiceFactory<Program>("gateway", new Dictionary<string, string?>
        {
            ["Services:CatalogUrl"] = Internal.BaseUrl,
            ["Services:JobStatusUrl"] = Internal.BaseUrl,
            ["Auth:BootstrapApiKey"] = ApiKey,
            ["Auth:AdminApiKey"] = AdminApiKey,
            ["Messaging:RequestTimeout"] = "00:00:08",
            // The queue probe's 800 ms is for production; a loaded CI machine (the suite beside containerized RabbitMQ)
            // once took longer, and a chat answered 503 "broker cannot be reached". No test here is about that timeout.
            ["Availability:ProbeTimeout"] = "00:00:05",
            ["Gateway:CatalogRefreshInterval"] = "00:10:00", // only CatalogChanged refreshes during the tests
            ["Gateway:MaxRequestBodyBytes"] = "1048576",
            ["Gateway:MaxInputImageBytes"] = "65536",
            ["Webhooks:Secret"] = WebhookSecret, // webhook_url is refused without one
            ["Credits:SweepInterval"] = "01:00:00", // the sweeper tests call SweepOnceAsync; a background sweep must not race them
            ["Logging:LogLevel:Default"] = "Warning",
        });

        Client = Factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        OtherClient = Factory.CreateClient();
        OtherClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OtherApiKey);
        Admin = Factory.CreateClient();
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminApiKey);
        Anonymous = Factory.CreateClient();

        var ready = await TestInfrastructure.EventuallyAsync(async () =>
            (await Anonymous.GetAsync("/health/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        if (!ready)
        {
            throw new InvalidOperationException("The gateway did not become ready: " + await Anonymous.GetStringAsync("/health/ready"));
        }
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        OtherClient.Dispose();
        Admin.Dispose();
        Anonymous.Dispose();
        await Factory.DisposeAsync();
        await Providers.DisposeAsync();
        await Internal.DisposeAsync();
        await Redis.CloseAsync();
        Redis.Dispose();
    }

    /// <summary>Creates a key through the admin API; answers its id and a client carrying it (on <paramref name="factory"/>, default this gateway).</summary>
    public async Task<(string Id, HttpClient Client)> CreateKeyAsync(string json, ServiceFactory<Program>? factory = null)
    {
        var response = await PostJsonAsync("/admin/v1/keys", json, Admin);
        var created = await ReadJsonAsync(response);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, created.ToJsonString());
        var client = (factory ?? Factory).CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created["key"]!.GetValue<string>());
        return (created["id"]!.GetValue<string>(), client);
    }

    /// <summary>
    /// Another gateway host on the same broker and Redis: a second replica. <paramref name="settings"/> add to or override
    /// its configuration.
    /// </summary>
    public ServiceFactory<Program> NewGateway(string? adminKey, string cacheTtl = "00:00:30", IReadOnlyDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Services:CatalogUrl"] = Internal.BaseUrl,
            ["Services:JobStatusUrl"] = Internal.BaseUrl,
            ["Auth:BootstrapApiKey"] = ApiKey,
            ["Auth:AdminApiKey"] = adminKey,
            ["Auth:CacheTtl"] = cacheTtl,
            ["Availability:ProbeTimeout"] = "00:00:05",
            ["Gateway:CatalogRefreshInterval"] = "00:10:00",
            ["Credits:SweepInterval"] = "01:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return new ServiceFactory<Program>("gateway", values);
    }

    /// <summary>The official OpenAI .NET SDK pointed at this gateway's /v1, without its retries (so errors surface at once).</summary>
    public OpenAIClient Sdk(string apiKey) => new(new ApiKeyCredential(apiKey), new OpenAIClientOptions
    {
        Endpoint = new Uri("http://localhost/v1"),
        Transport = new HttpClientPipelineTransport(Factory.CreateClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    /// <summary>
    /// Sets a provider's status in the stub catalog and announces CatalogChanged; answers whether the gateway followed within
    /// 15 s, seen as <paramref name="json"/> posted to <paramref name="path"/> answering <paramref name="expected"/>.
    /// </summary>
    public async Task<bool> SetProviderStatusAsync(string provider, string status, string path, string json, HttpStatusCode expected)
    {
        Internal.SetStatus(provider, status);
        await Providers.Bus.Publish(new CatalogChanged { Timestamp = DateTimeOffset.UtcNow, Version = "test" });
        return await TestInfrastructure.EventuallyAsync(async () => (await PostJsonAsync(path, json)).StatusCode == expected,
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>The routes that run a model, so every one of them answers with reservations, limits and provider errors.</summary>
    public static TheoryData<string> ModelRoutes => ["/v1/chat/completions", "/v1/audio/speech", "/v1/images/generations", "/v1/images/generate"];

    /// <summary>The gateway's OpenAPI document, fetched without a key as any client would.</summary>
    public async Task<JsonNode> OpenApiAsync() => JsonNode.Parse(await Anonymous.GetStringAsync("/openapi/v1.json"))!;

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, HttpClient? client = null) =>
        (client ?? Client).PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PostJsonAsync(string path, JsonNode body, HttpClient? client = null) =>
        PostJsonAsync(path, body.ToJsonString(), client);

    /// <summary>
    /// Asserts that <paramref name="response"/> is the CCAPI error object with this status, type and code; answers the error
    /// for the checks particular to a test.
    /// </summary>
    public static async Task<JsonNode> ShouldBeErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type, string code)
    {
        response.StatusCode.ShouldBe(status);
        var error = (await ReadJsonAsync(response))["error"]!;
        error["type"]!.GetValue<string>().ShouldBe(type);
        error["code"]!.GetValue<string>().ShouldBe(code);
        (error["param"]?.GetValue<string>()).ShouldBe(error["details"]?["param"]?.GetValue<string>(), "'param', where OpenAI's SDKs read the field, repeats details.param");
        return error;
    }

    /// <summary>Reads a streamed response until its text holds <paramref name="text"/>; answers what was read.</summary>
    public static async Task<string> ReadUntilAsync(HttpResponseMessage response, string text, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var seen = new System.Text.StringBuilder();
        var buffer = new byte[1024];
        while (!seen.ToString().Contains(text, StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            read.ShouldBePositive();
            seen.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, read));
        }

        return seen.ToString();
    }

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonNode.Parse(text) ?? throw new InvalidOperationException("null body");
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"Not JSON (HTTP {(int)response.StatusCode}): {text}");
        }
    }
}
