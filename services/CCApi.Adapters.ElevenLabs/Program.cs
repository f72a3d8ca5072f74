using CCApi.Adapters.ElevenLabs;
using CCApi.Adapters.ElevenLabs.Consumers;
using CCApi.Adapters.Hosting;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();           // OTel, health, JSON, error handling
builder.AddRedisStorage();              // IBlobStore (the audio), Redis readiness
builder.AddAdapterMessaging(x =>
{
    x.AddConsumer<SpeechConsumer, SpeechConsumerDefinition>();                   // {provider}-speech, the only capability ElevenLabs has here
});
builder.AddElevenLabsAdapterServices(); // options, upstream client + resilience, voice directory, heartbeat

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();              // /health/live, /health/ready
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
