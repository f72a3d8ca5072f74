using CCApi.Adapters.ElevenLabs;
using CCApi.Adapters.ElevenLabs.Consumers;
using CCApi.Adapters.Hosting;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();           // OTel, health, JSON, error handling
builder.AddRedisStorage();              // IBlobStore (the audio), Redis readiness
builder.AddMessaging(x =>
{
    x.AddConsumer<SpeechConsumer, SpeechConsumerDefinition>();                   // {provider}-speech, the only capability ElevenLabs has here
    x.AddConsumer<JobCanceledConsumer, JobCanceledConsumerDefinition>();         // per instance: stop jobs whose client left
});
builder.AddElevenLabsAdapterServices(); // options, upstream client + resilience, voice directory, heartbeat

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();              // /health/live, /health/ready
app.Run();

/// <summary>Entry point, public so WebApplicationFactory can host the service in tests.</summary>
public partial class Program;
