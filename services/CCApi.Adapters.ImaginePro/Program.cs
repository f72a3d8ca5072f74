using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro;
using CCApi.Adapters.ImaginePro.Consumers;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();           // OTel, health, JSON, error handling, OutboundUrlGuard
builder.AddRedisStorage();              // IBlobStore, Redis readiness (and the stored provider task ids)
builder.AddAdapterMessaging(x =>
{
    x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();     // {provider}-image
});
builder.AddImagineProAdapterServices(); // options, upstream client + resilience, polling job, heartbeat

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();              // /health/live, /health/ready
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
