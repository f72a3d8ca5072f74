using CCApi.Contracts;
using CCApi.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// The one way every host (and every test) joins the bus: kebab-case endpoint names, explicit consumer registration
    /// through <paramref name="configure"/>, RabbitMQ (or the in-memory transport when Messaging:Transport says so),
    /// endpoints configured from the registered definitions, and a bus that is up before the host serves requests.
    /// <paramref name="endpoints"/> adds receive endpoints that no consumer definition describes (the gateway's replies).
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null,
        Action<IBusRegistrationContext, IBusFactoryConfigurator>? endpoints = null)
    {
        builder.Services.AddOptions<MessagingOptions>()
            .BindConfiguration(MessagingOptions.SectionName)
            .Configure<IConfiguration>((o, config) => o.ConnectionString ??= config.GetConnectionString("RabbitMq"))
            .ValidateAttributes(new MessagingOptionsValidator())
            .Validate(o => o.Transport != "rabbitmq" || TryParse(o.ConnectionString), "ConnectionStrings:RabbitMq must be an amqp:// URI.")
            .ValidateOnStart();

        var transport = builder.Configuration[$"{MessagingOptions.SectionName}:Transport"] ?? "rabbitmq";

        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // MassTransit reports usage to its vendor by default (an outbound call at start and stop, a warning on an
            // offline host): a self-hosted platform sends nothing anywhere it was not configured to.
            x.DisableUsageTelemetry();
            // Readiness is BusReadinessCheck's (Degraded is not ready); MassTransit's own check keeps a tag of its own.
            x.ConfigureHealthCheckOptions(o =>
            {
                o.Name = "masstransit";
                o.Tags.Add("masstransit");
            });
            configure?.Invoke(x);

            if (transport == "inmemory")
            {
                x.UsingInMemory((context, cfg) =>
                {
                    endpoints?.Invoke(context, cfg);
                    cfg.ConfigureEndpoints(context);
                });
                return;
            }

            x.UsingRabbitMq((context, cfg) =>
            {
                var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
                var address = AmqpAddress.Parse(options.ConnectionString);
                cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    h.PublisherConfirmation = true;
                    if (address.UseTls)
                    {
                        h.UseSsl(ssl =>
                        {
                            ssl.ServerName = address.Host;
                            ssl.Protocol = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
                        });
                    }
                });
                cfg.PrefetchCount = options.PrefetchCount;
                endpoints?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });

        builder.Services.AddOptions<MassTransitHostOptions>().Configure<IOptions<MessagingOptions>>((o, m) =>
        {
            // Not MassTransit's own wait: with the broker down it fails the host after StartTimeout, and without a
            // timeout it never starts. BusStartupGate waits a bounded time instead (the first request must not race the
            // bus), and the bus keeps connecting in the background for as long as it takes.
            o.WaitUntilStarted = false;
            o.StartTimeout = null;
            o.StopTimeout = m.Value.StopTimeout;

            // Consumers still running halfway through the stop window are canceled (with MassTransit's token, so their
            // messages go back to the queue for another replica) instead of being torn down with the host, which faults them.
            o.ConsumerStopTimeout = m.Value.StopTimeout / 2;
        });

        builder.Services.AddHostedService<BusStartupGate>(); // the host is started once the bus is connected (or StartupWait passed)
        builder.Services.AddHealthChecks().AddCheck<BusReadinessCheck>(BusReadinessCheck.Name, tags: [HealthTags.Ready]);
        return builder;
    }

    /// <summary>
    /// How every message of a synchronous call goes out (the gateway's command, the adapter's copy of the outcome for JobStatus): transient
    /// — no disk write in the broker, and a restarted broker drops it rather than deliver it for a caller long gone — and
    /// not waited on for a publisher confirm. The caller's response is the acknowledgement that counts: without one the
    /// gateway answers 503/504 and the job ends failed. An asynchronous job's messages keep the defaults (persistent, confirmed).
    /// </summary>
    public static void SynchronousCall(SendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Durable = false;
        context.TrySetAwaitAck(false);
    }

    /// <summary>The queue an adapter consumes for a provider and capability, as a send address.</summary>
    public static Uri QueueAddress(string provider, JobKind kind) => QueueAddress(Queues.For(provider, kind));

    /// <summary>A queue by name (<see cref="Queues"/>), as a send address.</summary>
    public static Uri QueueAddress(string queue) => new($"queue:{queue}");

    private static bool TryParse(string? connectionString)
    {
        try
        {
            AmqpAddress.Parse(connectionString);
            return true;
        }
        catch (Exception ex) when (ex is UriFormatException or FormatException)
        {
            return false;
        }
    }
}
