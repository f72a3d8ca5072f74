using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI;
using CCApi.Adapters.StabilityAI.Consumers;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();            // OTel, health, JSON, error handling, OutboundUrlGuard
builder.AddRedisStorage();               // IBlobStore (generated images, uploaded inputs), Redis readiness
builder.AddMessaging(x =>
{
    x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();   // {provider}-image (only)
    x.AddConsumer<JobCanceledConsumer, JobCanceledConsumerDefinition>();       // per instance: stop jobs whose client left
});
builder.AddStabilityAIAdapterServices(); // options, upstream client + resilience, heartbeat

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();               // /health/live, /health/ready
app.Run();

/// <summary>Entry point, public so WebApplicationFactory can host the service in tests.</summary>
public partial class Program;
