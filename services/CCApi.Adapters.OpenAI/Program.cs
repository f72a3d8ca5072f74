using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI;
using CCApi.Adapters.OpenAI.Consumers;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();       // OTel, health, JSON, error handling, OutboundUrlGuard
builder.AddRedisStorage();          // IBlobStore, ChatStreams, Redis readiness
builder.AddAdapterMessaging(x =>
{
    x.AddConsumer<ChatCompletionConsumer, ChatCompletionConsumerDefinition>();   // {provider}-chat
    x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();     // {provider}-image
    x.AddConsumer<SpeechConsumer, SpeechConsumerDefinition>();                   // {provider}-speech
});
builder.AddOpenAIAdapterServices(); // options, upstream client + resilience, heartbeat

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();          // /health/live, /health/ready
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
