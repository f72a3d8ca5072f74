using CCApi.JobStatus;
using CCApi.JobStatus.Endpoints;
using CCApi.ServiceDefaults;
using CCApi.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();                 // OTel, health, JSON, CCAPI errors
builder.AddRedisStorage();                    // the multiplexer, blob store (for b64_json webhooks)
builder.AddJobStatusMessaging();              // job events and faults on "jobstatus", webhook delivery on its own queue
builder.AddJobStatusServices();               // job store + script, sweeper, webhooks, options

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();                    // /health/live, /health/ready
app.MapJobEndpoints();                        // GET /jobs/{id}, GET /jobs/{id}/events, POST /jobs/{id}/cancel
app.MapWebhookEndpoints();                    // POST /jobs/{id}/webhook/redeliver
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
