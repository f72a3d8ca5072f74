using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI;
using CCApi.Adapters.StabilityAI.Consumers;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();            // OTel, health, JSON, error handling, OutboundUrlGuard
builder.AddRedisStorage();               // IBlobStore (generated images, uploaded inputs), Redis readiness
builder.AddAdapterMessaging(x =>
{
    x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();   // {provider}-image (only)
});
builder.AddStabilityAIAdapterServices(); // options, upstream client + resilience, heartbeat

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();               // /health/live, /health/ready
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
