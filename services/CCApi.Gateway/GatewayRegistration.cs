using CCApi.Gateway.Accounts;
using CCApi.Gateway.Endpoints;
using CCApi.Gateway.Http;
using CCApi.Gateway.Idempotency;
using CCApi.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CCApi.Gateway;

public static class GatewayRegistration
{
    /// <summary>The gateway's own services: options (validated at start), API keys, rate limits, catalog snapshot, internal HTTP clients, dispatch.</summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateAttributes(new GatewayOptionsValidator()).ValidateOnStart();
        services.AddOptions<ServicesOptions>().BindConfiguration(ServicesOptions.SectionName).ValidateAttributes(new ServicesOptionsValidator()).ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateAttributes(new AuthOptionsValidator())
            .Validate(o => o.KeysAreDistinct(), "Auth:AdminApiKey must differ from Auth:BootstrapApiKey.").ValidateOnStart();
        services.AddBrowserAccess();                // CORS for the public API: Cors options (validated at start), one policy
        services.AddBlobUrls();                      // BlobUrls options (validated at start) and the signer of /v1/files URLs
        services.AddOptions<WebhookSubmitOptions>().BindConfiguration(WebhookSubmitOptions.SectionName)
            .Validate(o => o.IsValid, "Webhooks:Secret must be whsec_ + base64 of 24 to 64 bytes (or unset: webhook_url is refused).").ValidateOnStart();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>>((kestrel, gateway) =>
            kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBodyBytes);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PublicUrls>();
        services.AddSingleton<ModelFiles>();
        services.AddSingleton<JsonBody>();

        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateAttributes(new RateLimitOptionsValidator()).ValidateOnStart();
        services.AddSingleton<KeyRateLimiter>();
        services.AddOptions<LargePromptOptions>().BindConfiguration(LargePromptOptions.SectionName).ValidateAttributes(new LargePromptOptionsValidator()).ValidateOnStart();
        services.AddSingleton<LargePromptGate>();    // counting large prompts before admission: a permit per key and a few per replica
        services.AddSingleton<ModelAdmission>();     // allow-list + rate limits + credit reservation, between model resolution and dispatch

        services.AddOptions<CreditOptions>().BindConfiguration(CreditOptions.SectionName).ValidateAttributes(new CreditOptionsValidator()).ValidateOnStart();
        services.AddSingleton<CostEstimator>();      // a request's maximum cost (o200k tokenizer, loaded once)
        services.AddSingleton<CreditSettlement>();   // settle / release exactly once per job id
        services.AddSingleton<UsageReader>();        // GET /v1/usage, /admin/v1/usage from the hourly rollups (and ledgers)
        services.AddSingleton<ReservationSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ReservationSweeper>());

        services.AddSingleton<ApiKeyRepository>();
        services.AddSingleton<ApiKeyStore>();
        services.AddScoped<KeyChanges>();
        services.AddHostedService<BootstrapApiKeyService>();

        services.AddSingleton<CatalogSnapshot>();
        services.AddSingleton<CatalogRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogRefresher>());
        services.AddSingleton<CatalogAccess>();
        services.AddHealthChecks().AddCheck<CatalogHealthCheck>("catalog", tags: [HealthTags.Ready]);

        // Typed clients built by a factory delegate, not AddHttpClient<T>: its typed-client factory builds each client
        // through ActivatorUtilities.CreateFactory, which loads System.Linq.Expressions into the gateway (issue 10's
        // memory budget). Same transient lifetime, same client names.
        services.AddHttpClient(nameof(CatalogClient), (sp, http) => Configure(http, sp, o => o.CatalogUrl))
            .AddTypedClient(http => new CatalogClient(http));
        services.AddHttpClient(nameof(JobStatusClient), (sp, http) => Configure(http, sp, o => o.JobStatusUrl))
            .AddTypedClient(http => new JobStatusClient(http));
        services.AddTransient<ImageJobViews>(); // per request, like the JobStatus client it holds
        services.AddHttpClient(nameof(JobStatusWebhookClient), (sp, http) => Configure(http, sp, o => o.JobStatusUrl))
            .AddTypedClient(http => new JobStatusWebhookClient(http));

        builder.AddIdempotentRequests(); // Idempotency-Key on POST routes: Redis records, the endpoint filter, OpenAPI

        services.AddHttpContextAccessor(); // the dispatcher tells the request's ModelRequestMetrics which model it became
        services.AddOptions<ProviderAvailabilityOptions>().BindConfiguration(ProviderAvailabilityOptions.SectionName).ValidateAttributes(new ProviderAvailabilityOptionsValidator()).ValidateOnStart();
        services.AddSingleton<ProviderQueueProbe>();  // "is any adapter consuming this provider's queue?", asked of RabbitMQ
        services.AddSingleton<BusHealthWatch>(); // broker connection lost: waiting requests fail with 503 at once
        services.AddReceiveEndpointObserver(sp => sp.GetRequiredService<BusHealthWatch>());
        services.AddOptions<StreamLimitOptions>().BindConfiguration(StreamLimitOptions.SectionName).ValidateAttributes(new StreamLimitOptionsValidator()).ValidateOnStart();
        services.AddSingleton<StreamSlots>();         // open streaming chats per key (429 past Streams:MaxConcurrentPerKey)
        services.AddOptions<RouteBodyLimitOptions>().BindConfiguration(RouteBodyLimitOptions.SectionName)
            .Validate(o => o.IsValid(), "BodyLimits:Routes values must be between 1 byte and 16 GiB.").ValidateOnStart();
        services.AddSingleton<SynchronousCalls>();    // a synchronous call's response, matched to its caller by request id
        services.AddHostedService(sp => sp.GetRequiredService<SynchronousCalls>()); // listens on its Redis channel for them
        services.AddSingleton<ProviderDispatcher>();
        services.AddSingleton<ModelRequestPipeline>(); // the model routes' one pipeline: resolve → admit + reserve → dispatch → settle
        services.AddOpenApi(OpenApiSecurity.Configure);
        return builder;
    }

    private static void Configure(HttpClient http, IServiceProvider services, Func<ServicesOptions, string?> baseUrl)
    {
        var options = services.GetRequiredService<IOptions<ServicesOptions>>().Value;
        http.BaseAddress = new Uri(baseUrl(options)!.TrimEnd('/') + "/");
        http.Timeout = options.Timeout;
    }
}
