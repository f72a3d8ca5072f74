using CCApi.Gateway;
using CCApi.Gateway.Endpoints;
using CCApi.Gateway.Http;
using CCApi.Gateway.OperatorConsole;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();                 // OTel, health, JSON, CCAPI error handler
builder.AddRedisStorage();                    // multiplexer, blob store, chat streams
builder.AddGatewayMessaging();                // catalog/key-change consumers, credit settlement
builder.AddGatewayServices();                 // options, API keys, catalog snapshot, internal clients, dispatch
builder.AddOperatorConsole();                 // /console options, traffic counters for its Overview

var app = builder.Build();
app.UseServiceDefaults();
app.UseRequestIds();                          // x-request-id: req_<trace id> on every response, as OpenAI sends it
app.UseBrowserAccess();                       // CORS on the public API: preflights answered, headers on every answer (Cors:*)
app.UseRouteBodyLimits();                     // 413 past a route's BodyLimits:Routes entry, before anything reads
app.UseSingleQueryValues();                   // a query parameter given twice is a 400 naming it, never joined or picked
app.UseModelRequestMetrics();                 // gen_ai.server.*, ccapi.gateway.overhead per model request
app.UseOperatorConsole();                     // /console: the embedded web console (CSP, no-cache + ETag)
app.MapDefaultEndpoints();                    // /health/live, /health/ready (bus, Redis, catalog)
app.MapGatewayEndpoints();                    // /v1…, /admin/v1…, /openapi (Endpoints/GatewayEndpoints.cs)
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
