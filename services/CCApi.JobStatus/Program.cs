using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRedisStorage();
builder.AddMessaging();

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point, public so WebApplicationFactory can host the service in tests.</summary>
public partial class Program;
