using CCApi.Contracts;
using CCApi.JobStatus;
using CCApi.JobStatus.Consumers;
using CCApi.JobStatus.Endpoints;
using CCApi.JobStatus.Webhooks;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();                 // OTel, health, JSON, CCAPI errors
builder.AddRedisStorage();                    // the multiplexer, blob store (for b64_json webhooks)
builder.AddMessaging(x =>
{
    // Every job event and fault, on the "jobstatus" queue; each write goes through the one Lua script.
    x.AddConsumer<RegisterJobConsumer, JobEventConsumerDefinition<RegisterJobConsumer>>();
    x.AddConsumer<JobStartedConsumer, JobEventConsumerDefinition<JobStartedConsumer>>();
    x.AddConsumer<JobProgressedConsumer, JobEventConsumerDefinition<JobProgressedConsumer>>();
    x.AddConsumer<ImageGeneratedConsumer, JobEventConsumerDefinition<ImageGeneratedConsumer>>();
    x.AddConsumer<ChatCompletedConsumer, JobEventConsumerDefinition<ChatCompletedConsumer>>();
    x.AddConsumer<SpeechSynthesizedConsumer, JobEventConsumerDefinition<SpeechSynthesizedConsumer>>();
    x.AddConsumer<JobFailedConsumer, JobEventConsumerDefinition<JobFailedConsumer>>();
    x.AddConsumer<JobCanceledConsumer, JobEventConsumerDefinition<JobCanceledConsumer>>();
    x.AddConsumer<JobCommandFaultConsumer<GenerateImage>, JobEventConsumerDefinition<JobCommandFaultConsumer<GenerateImage>>>();
    x.AddConsumer<JobCommandFaultConsumer<ChatCompletion>, JobEventConsumerDefinition<JobCommandFaultConsumer<ChatCompletion>>>();
    x.AddConsumer<JobCommandFaultConsumer<Speech>, JobEventConsumerDefinition<JobCommandFaultConsumer<Speech>>>();

    // Webhook delivery, on its own "jobstatus-webhooks" queue.
    x.AddConsumer<DeliverWebhookConsumer, DeliverWebhookConsumerDefinition>();
});
builder.AddJobStatusServices();               // job store + script, sweeper, webhooks, options

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();                    // /health/live, /health/ready
app.MapJobEndpoints();                        // GET /jobs/{id}, GET /jobs/{id}/events, POST /jobs/{id}/cancel
app.MapWebhookEndpoints();                    // POST /jobs/{id}/webhook/redeliver
app.Run();

/// <summary>Entry point, public so WebApplicationFactory can host the service in tests.</summary>
public partial class Program;
