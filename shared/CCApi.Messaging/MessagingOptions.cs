using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Messaging;

public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary>"rabbitmq" in every deployment; "inmemory" for tests that need no broker.</summary>
    [Required]
    [RegularExpression("^(rabbitmq|inmemory)$", ErrorMessage = "Messaging:Transport must be 'rabbitmq' or 'inmemory'.")]
    public string Transport { get; set; } = "rabbitmq";

    /// <summary>amqp://user:password@host:port/vhost — also read from ConnectionStrings:RabbitMq.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long the edge waits for a synchronous job before answering 504.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Messages each consumer prefetches; adapters override per queue with their concurrency limit.</summary>
    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 32;

    /// <summary>How long a stopping process lets in-flight consumers finish (keep below the pod's grace period).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// How long a starting process waits for the bus to connect before it serves requests. A broker that is down for
    /// longer does not stop the start: the process starts not ready (/health/ready answers 503) and MassTransit keeps
    /// reconnecting until the broker is back.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan StartupWait { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="MessagingOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class MessagingOptionsValidator : IValidateOptions<MessagingOptions>;

/// <summary>The parts of an amqp:// URI MassTransit's host configurator wants.</summary>
public sealed record AmqpAddress(string Host, ushort Port, string VirtualHost, string Username, string Password, bool UseTls = false)
{
    public static AmqpAddress Parse(string? connectionString)
    {
        var uri = new Uri(string.IsNullOrWhiteSpace(connectionString) ? "amqp://guest:guest@127.0.0.1:5672/" : connectionString);
        if (uri.Scheme is not ("amqp" or "amqps" or "rabbitmq"))
        {
            throw new FormatException($"RabbitMQ connection string must be an amqp:// URI, not '{uri.Scheme}://'.");
        }

        var user = "guest";
        var password = "guest";
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }

        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var tls = uri.Scheme == "amqps";
        return new AmqpAddress(uri.Host, (ushort)(uri.IsDefaultPort || uri.Port <= 0 ? (tls ? 5671 : 5672) : uri.Port),
            string.IsNullOrEmpty(vhost) ? "/" : vhost, user, password, tls);
    }

    /// <summary>
    /// A RabbitMQ.Client connection factory for this address, for the few things MassTransit does not do (the gateway's
    /// queue probe, removing an obsolete queue); named so the broker's connection list says who it is.
    /// </summary>
    public RabbitMQ.Client.ConnectionFactory ConnectionFactory(string clientName) => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username,
        Password = Password,
        Ssl = new RabbitMQ.Client.SslOption { Enabled = UseTls, ServerName = Host },
        ClientProvidedName = clientName,
    };
}
