using CCApi.Contracts;
using CCApi.Gateway;
using CCApi.Gateway.Consumers;
using CCApi.Gateway.Endpoints;
using CCApi.Gateway.Http;
using CCApi.Gateway.OperatorConsole;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();                 // OTel, health, JSON, CCAPI error handler
builder.AddRedisStorage();                    // multiplexer, blob store, chat streams
builder.AddMessaging(x =>
{
    x.AddConsumer<CatalogChangedConsumer, CatalogChangedConsumerDefinition>(); // per-instance: refresh the snapshot
    x.AddConsumer<ApiKeyChangedConsumer, ApiKeyChangedConsumerDefinition>();   // per-instance: evict a changed key
    x.AddConsumer<CreditSettlementConsumer, CreditSettlementConsumerDefinition>(); // shared: settle jobs from terminal events
    x.AddRequestClient<RegisterJob>();                                         // async images: JobStatus registers first
});
builder.AddGatewayServices();                 // options, API keys, catalog snapshot, internal clients, dispatch
builder.AddOperatorConsole();                 // /console options, traffic counters for its Overview

var app = builder.Build();
app.UseServiceDefaults();
app.UseRouteBodyLimits();                     // 413 past a route's BodyLimits:Routes entry, before anything reads
app.UseModelRequestMetrics();                 // gen_ai.server.*, ccapi.gateway.overhead per model request
app.UseOperatorConsole();                     // /console: the embedded web console (CSP, no-cache + ETag)
app.MapDefaultEndpoints();                    // /health/live, /health/ready (bus, Redis, catalog)
app.MapOpenApi();                             // /openapi/v1.json
app.MapChatEndpoints();                       // POST /v1/chat/completions
app.MapChatStreamEndpoints();                 // GET  /v1/chat/completions/{id}/stream  (resume with Last-Event-ID)
app.MapSpeechEndpoints();                     // POST /v1/audio/speech
app.MapImageEndpoints();                      // POST /v1/images/generations, /v1/images/generate
app.MapImageEditEndpoints();                  // POST /v1/images/edits  (OpenAI-compatible multipart edits)
app.MapImageJobEndpoints();                   // GET  /v1/images/jobs/{id}
app.MapImageJobControlEndpoints();            // GET  /v1/images/jobs/{id}/events (SSE), POST …/cancel
app.MapImageJobWebhookEndpoints();            // POST /v1/images/jobs/{id}/webhook/redeliver
app.MapCatalogEndpoints();                    // GET  /v1/models, /v1/providers[/{name}]
app.MapFileEndpoints();                       // GET  /v1/files/{id}  (signed URL, no bearer)
app.MapKeyEndpoints();                        // GET  /v1/key  (the caller's own key)
app.MapUsageEndpoints();                      // GET  /v1/usage  (the caller's own spend)
app.MapAdminEndpoints();                      // /admin/v1/keys…  (admin key; off without one)
app.MapAdminJobEndpoints();                   // /admin/v1/jobs…  (every key's async jobs: list, view, events, cancel, redeliver)
app.MapOperatorConsoleEndpoints();            // /admin/v1/stats, /admin/v1/providers  (the console's Overview)
app.Run();

/// <summary>Entry point, public so WebApplicationFactory can host the service in tests.</summary>
public partial class Program;
