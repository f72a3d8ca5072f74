using CCApi.Catalog;
using CCApi.Catalog.Consumers;
using CCApi.Catalog.Endpoints;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();                 // OTel, health, JSON, CCAPI errors
builder.AddMessaging(x =>
    x.AddConsumer<ProviderHeartbeatConsumer, ProviderHeartbeatConsumerDefinition>());
builder.AddCatalogServices();                 // definition (checked at start), live provider status, timers

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();                    // /health/live, /health/ready
app.MapCatalogEndpoints();                    // GET /catalog (the gateway's routing snapshot)
app.MapModelEndpoints();                      // GET /models
app.MapProviderEndpoints();                   // GET /providers, /providers/{name}
app.Run();

public partial class Program; // public: WebApplicationFactory hosts the service in tests
