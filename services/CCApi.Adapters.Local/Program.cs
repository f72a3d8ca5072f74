using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local;
using CCApi.Adapters.Local.Consumers;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();       // OTel, health, JSON, error handling, OutboundUrlGuard
builder.AddRedisStorage();          // IBlobStore, ChatStreams, Redis readiness
builder.AddAdapterMessaging(x =>
{
    x.AddConsumer<ChatCompletionConsumer, ChatCompletionConsumerDefinition>();   // {provider}-chat: echo-1
    x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();     // {provider}-image: pixel-1, pixel-async-1
    x.AddConsumer<SpeechConsumer, SpeechConsumerDefinition>();                   // {provider}-speech: espeak-1
});
builder.AddLocalAdapterServices();  // options, engines, heartbeat, espeak-ng readiness

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();          // /health/live, /health/ready
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
