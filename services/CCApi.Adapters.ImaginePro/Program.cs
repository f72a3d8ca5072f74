using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro;
using CCApi.Adapters.ImaginePro.Consumers;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();           // OTel, health, JSON, error handling, OutboundUrlGuard
builder.AddRedisStorage();              // IBlobStore, Redis readiness (and the stored provider task ids)
builder.AddMessaging(x =>
{
    x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();     // {provider}-image
    x.AddConsumer<JobCanceledConsumer, JobCanceledConsumerDefinition>();         // per instance: stop jobs whose client left
});
builder.AddImagineProAdapterServices(); // options, upstream client + resilience, polling job, heartbeat

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();              // /health/live, /health/ready
app.Run();

/// <summary>Entry point, public so WebApplicationFactory can host the service in tests.</summary>
public partial class Program;
