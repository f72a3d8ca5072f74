using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.AspNetCore.Builder;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The entry point every provider adapter shares, so an adapter's Program.cs names only what is its own — its consumers
/// and its services. Every adapter runs the same host: service defaults (OTel, health, JSON, CCAPI errors),
/// Redis storage (blobs, chat streams, readiness), the adapter bus
/// (<see cref="AdapterRegistration.AddAdapterMessaging"/>: these consumers plus the kit's JobCanceledConsumer) and
/// /health/live + /health/ready. Workers use the Web SDK too, so WebApplicationFactory hosts them in tests.
/// </summary>
public static class AdapterHost
{
    /// <summary>Builds and runs the adapter until it is stopped.</summary>
    /// <param name="args">The command line, as the entry point got it.</param>
    /// <param name="consumers">The adapter's job consumers, one per capability (each with its definition).</param>
    /// <param name="services">The adapter's own registrations (its <c>Add&lt;Name&gt;AdapterServices</c>).</param>
    public static void Run(string[] args, Action<IBusRegistrationConfigurator> consumers, Action<WebApplicationBuilder> services)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddRedisStorage();
        builder.AddAdapterMessaging(consumers);
        services(builder);

        var app = builder.Build();
        app.UseServiceDefaults();
        app.MapDefaultEndpoints();
        app.Run();
    }
}
