using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local;
using CCApi.Adapters.Local.Consumers;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();       // OTel, health, JSON, error handling, OutboundUrlGuard
builder.AddRedisStorage();          // IBlobStore, ChatStreams, Redis readiness
builder.AddMessaging(x =>
{
    x.AddConsumer<ChatCompletionConsumer, ChatCompletionConsumerDefinition>();   // {provider}-chat: echo-1
    x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();     // {provider}-image: pixel-1, pixel-async-1
    x.AddConsumer<SpeechConsumer, SpeechConsumerDefinition>();                   // {provider}-speech: espeak-1
    x.AddConsumer<JobCanceledConsumer, JobCanceledConsumerDefinition>();         // per instance: stop jobs whose client left
});
builder.AddLocalAdapterServices();  // options, engines, heartbeat, espeak-ng readiness

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();          // /health/live, /health/ready
app.Run();

/// <summary>Entry point, public so WebApplicationFactory can host the service in tests.</summary>
public partial class Program;
