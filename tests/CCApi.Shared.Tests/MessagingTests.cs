using System.Collections.Concurrent;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Messaging;
using CCApi.Testing;
using MassTransit;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CCApi.Shared.Tests;

public sealed class MessagingTests
{
    private const string OutcomesProvider = "outcomes-test";
    private static readonly ConcurrentDictionary<Guid, (string How, bool Persistent)> Observed = new();

    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1:5673/", "127.0.0.1", 5673, "/", "guest", "guest")]
    [InlineData("amqp://u%40x:p%3Aw@rabbit/ccapi-test-e2e", "rabbit", 5672, "ccapi-test-e2e", "u@x", "p:w")]
    [InlineData(null, "127.0.0.1", 5672, "/", "guest", "guest")]
    public void Amqp_uris_are_parsed_into_host_settings(string? uri, string host, int port, string vhost, string user, string password) =>
        AmqpAddress.Parse(uri).ShouldBe(new AmqpAddress(host, (ushort)port, vhost, user, password));

    [Fact]
    public void Amqps_uris_turn_tls_on_with_the_tls_port_by_default()
    {
        AmqpAddress.Parse("amqps://u:p@rabbit.example.com/prod").ShouldBe(new AmqpAddress("rabbit.example.com", 5671, "prod", "u", "p", UseTls: true));
        AmqpAddress.Parse("amqps://u:p@rabbit.example.com:5999/").Port.ShouldBe((ushort)5999);
    }

    [Fact]
    public void Non_amqp_connection_strings_are_rejected() =>
        Should.Throw<FormatException>(() => AmqpAddress.Parse("http://127.0.0.1:5672/"));

    [Fact]
    public void The_bus_reports_no_usage_telemetry_to_MassTransits_vendor()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Messaging:Transport"] = "inmemory";
        builder.AddMessaging();
        using var host = builder.Build();

        host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<UsageTelemetryOptions>>().Value.Enabled.ShouldBe(false);
    }

    [Fact]
    public void Queue_names_are_per_provider_and_capability()
    {
        Queues.For("local", JobKind.Chat).ShouldBe("local-chat");
        Queues.For("openai", JobKind.Image).ShouldBe("openai-image");
        Queues.ForAsyncImages("openai").ShouldBe("openai-image-async");
        MessagingExtensions.QueueAddress("elevenlabs", JobKind.Speech).ShouldBe(new Uri("queue:elevenlabs-speech"));
    }

    [Fact]
    public async Task A_command_sent_to_a_provider_queue_is_answered_through_real_RabbitMQ()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:RabbitMq"] = TestInfrastructure.RabbitMq("shared");
        builder.AddMessaging(x => x.AddConsumer<EchoSpeechConsumer, EchoSpeechConsumerDefinition>());
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<IBus>()
                .CreateRequestClient<Speech>(MessagingExtensions.QueueAddress("shared-test", JobKind.Speech), RequestTimeout.After(s: 30));
            var jobId = Guid.NewGuid();

            var response = await client.GetResponse<SpeechSynthesized, JobFailed>(EchoSpeech.Command("shared-test", jobId));

            response.Is(out Response<SpeechSynthesized>? ok).ShouldBeTrue();
            ok!.Message.JobId.ShouldBe(jobId);
            ok.Message.Usage.Characters.ShouldBe(5);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>
    /// Readiness follows the endpoints, not only the connection: a bus that is connected but has an endpoint that cannot
    /// consume is not ready (MassTransit calls that Degraded, which /health/ready would answer with 200), and says which.
    /// </summary>
    [Fact]
    public async Task A_connected_bus_with_an_endpoint_that_cannot_consume_is_not_ready_and_names_it()
    {
        var queue = $"readiness-test-{Guid.NewGuid():N}";
        var address = AmqpAddress.Parse(TestInfrastructure.RabbitMq("shared"));
        await using var connection = await address.ConnectionFactory("ccapi-tests").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        // Declared with an argument the endpoint does not ask for: its declare fails (PRECONDITION_FAILED) while the queue is there.
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = 1 });
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration["ConnectionStrings:RabbitMq"] = TestInfrastructure.RabbitMq("shared");
            builder.Configuration["Messaging:StartupWait"] = "00:00:01";
            builder.Logging.ClearProviders(); // MassTransit logs the endpoint's faults and, at the stop, a bus it never saw start
            builder.AddMessaging(x => x.AddConsumer<EchoSpeechConsumer>().Endpoint(e => e.Name = queue));
            using var host = builder.Build();
            await host.StartAsync();
            try
            {
                var health = host.Services.GetRequiredService<HealthCheckService>();
                HealthReport? report = null;
                (await TestInfrastructure.EventuallyAsync(async () =>
                {
                    report = await health.CheckHealthAsync(r => r.Tags.Contains(HealthTags.Ready));
                    return report.Entries["masstransit-bus"].Description?.Contains(queue, StringComparison.Ordinal) == true;
                }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100))).ShouldBeTrue(report?.Entries["masstransit-bus"].Description);

                report!.Status.ShouldBe(HealthStatus.Unhealthy);
                report.Entries["masstransit-bus"].Status.ShouldBe(HealthStatus.Unhealthy);
                host.Services.GetRequiredService<IBusControl>().CheckHealth().Status.ShouldNotBe(BusHealthStatus.Healthy);
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
        }
    }

    private sealed class EchoSpeechConsumer : IConsumer<Speech>
    {
        public Task Consume(ConsumeContext<Speech> context) => context.RespondAsync(EchoSpeech.Synthesized(context.Message));
    }

    private sealed class EchoSpeechConsumerDefinition : ConsumerDefinition<EchoSpeechConsumer>
    {
        public EchoSpeechConsumerDefinition() => EndpointName = Queues.For("shared-test", JobKind.Speech);
    }

    /// <summary>
    /// How <see cref="AdapterOutcomes.FinishAsync{T}"/> ends a job: an asynchronous job's event is its result (persistent); a
    /// synchronous job's caller gets the response, and JobStatus its copy in a transient batch
    /// (<see cref="SynchronousOutcomes"/>), never an event of its own — unless JobStatus registered the job for its webhook
    /// (<see cref="IJobCommand.Registered"/>): then the caller gets the response and the event is persistent, not batched.
    /// </summary>
    [Fact]
    public async Task A_requested_job_answers_and_batches_a_transient_copy_and_a_sent_or_registered_one_publishes_a_persistent_event()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:RabbitMq"] = TestInfrastructure.RabbitMq("shared");
        builder.Configuration["ConnectionStrings:Redis"] = TestInfrastructure.Redis;
        builder.AddRedisStorage();
        builder.Services.AddSingleton<SynchronousReplyPublisher>();
        builder.AddMessaging(x =>
        {
            x.AddConsumer<FinishingSpeechConsumer, FinishingSpeechConsumerDefinition>();
            x.AddConsumer<FinishingImageConsumer, FinishingImageConsumerDefinition>();
            x.AddConsumer<OutcomeObserver, OutcomeObserverDefinition>();
        });
        builder.Services.AddSingleton<SynchronousOutcomePublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SynchronousOutcomePublisher>());
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var address = MessagingExtensions.QueueAddress(OutcomesProvider, JobKind.Speech);
            var requested = Command();
            var response = await bus.CreateRequestClient<Speech>(address, RequestTimeout.After(s: 30))
                .GetResponse<SpeechSynthesized, JobFailed>(requested);
            response.Is(out Response<SpeechSynthesized>? answered).ShouldBeTrue();
            answered!.Message.JobId.ShouldBe(requested.JobId);

            var sent = Command();
            await (await bus.GetSendEndpoint(address)).Send(sent);

            // A request naming a Redis channel (as the gateway's are) is answered there, not on the bus.
            var channelName = RedisKeys.SynchronousReplies(Guid.NewGuid());
            var answers = await host.Services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber().SubscribeAsync(SynchronousReplies.Channel(channelName));
            var onRedis = Command();
            var requestId = Guid.NewGuid();
            await (await bus.GetSendEndpoint(address)).Send(onRedis, context =>
            {
                context.RequestId = requestId;
                context.ResponseAddress = bus.Address;
                context.Headers.Set(SynchronousReplies.ChannelHeader, channelName);
            });
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                var message = await answers.ReadAsync(wait.Token);
                SynchronousReplies.TryParse(message.Message, out var answeredId, out var failed, out var json).ShouldBeTrue();
                answeredId.ShouldBe(requestId);
                failed.ShouldBeFalse();
                JsonSerializer.Deserialize<SpeechSynthesized>(json.Span)!.JobId.ShouldBe(onRedis.JobId);
            }

            await answers.UnsubscribeAsync();

            var registered = ImageCommand() with { Registered = true };
            var image = await bus.CreateRequestClient<GenerateImage>(MessagingExtensions.QueueAddress(OutcomesProvider, JobKind.Image), RequestTimeout.After(s: 30))
                .GetResponse<ImageGenerated, JobFailed>(registered);
            image.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
            generated!.Message.JobId.ShouldBe(registered.JobId);

            (await TestInfrastructure.EventuallyAsync(
                    () => Task.FromResult(Observed.ContainsKey(requested.JobId) && Observed.ContainsKey(sent.JobId) && Observed.ContainsKey(registered.JobId)
                        && Observed.ContainsKey(onRedis.JobId)),
                    TimeSpan.FromSeconds(30)))
                .ShouldBeTrue("every outcome reaches its subscriber");
            await Task.Delay(SynchronousOutcomePublisher.Window * 10); // a batched copy as well would show as "twice"
            Observed[requested.JobId].ShouldBe((nameof(SynchronousOutcomes), false), "the caller has the result; the batch is JobStatus' record");
            Observed[sent.JobId].ShouldBe((nameof(SpeechSynthesized), true), "without a caller the event is the job's result");
            Observed[onRedis.JobId].ShouldBe((nameof(SynchronousOutcomes), false), "answered on Redis, JobStatus' copy is batched as on the bus");
            Observed[registered.JobId].ShouldBe((nameof(ImageGenerated), true), "a registered job's webhook is sent from its event, which must not be lost");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static Speech Command() => EchoSpeech.Command(OutcomesProvider);

    private static GenerateImage ImageCommand() => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Command().Route,
        Operation = "text-to-image",
        Prompt = "a lighthouse",
        Width = 64,
        Height = 64,
    };

    private sealed class FinishingImageConsumer(SynchronousOutcomePublisher outcomes, SynchronousReplyPublisher replies) : IConsumer<GenerateImage>
    {
        public Task Consume(ConsumeContext<GenerateImage> context) => AdapterOutcomes.FinishAsync(context, context.Message, new ImageGenerated
        {
            JobId = context.Message.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = context.Message.Route,
            Operation = context.Message.Operation,
            Images = [],
            Usage = new Usage { Images = 1 },
        }, outcomes, replies);
    }

    private sealed class FinishingImageConsumerDefinition : ConsumerDefinition<FinishingImageConsumer>
    {
        public FinishingImageConsumerDefinition() => EndpointName = Queues.For(OutcomesProvider, JobKind.Image);
    }

    private sealed class FinishingSpeechConsumer(SynchronousOutcomePublisher outcomes, SynchronousReplyPublisher replies) : IConsumer<Speech>
    {
        public Task Consume(ConsumeContext<Speech> context) => AdapterOutcomes.FinishAsync(context, context.Message, EchoSpeech.Synthesized(context.Message), outcomes, replies);
    }

    private sealed class FinishingSpeechConsumerDefinition : ConsumerDefinition<FinishingSpeechConsumer>
    {
        public FinishingSpeechConsumerDefinition() => EndpointName = Queues.For(OutcomesProvider, JobKind.Speech);
    }

    /// <summary>How each outcome of this test's provider arrived: in which message, persistent or not (a second arrival would show as a clash).</summary>
    private sealed class OutcomeObserver : IConsumer<SpeechSynthesized>, IConsumer<ImageGenerated>, IConsumer<SynchronousOutcomes>
    {
        public Task Consume(ConsumeContext<SpeechSynthesized> context)
        {
            Observe(context, context.Message, nameof(SpeechSynthesized));
            return Task.CompletedTask;
        }

        public Task Consume(ConsumeContext<ImageGenerated> context)
        {
            Observe(context, context.Message, nameof(ImageGenerated));
            return Task.CompletedTask;
        }

        public Task Consume(ConsumeContext<SynchronousOutcomes> context)
        {
            foreach (var entry in context.Message.Outcomes)
            {
                Observe(context, (IJobResult?)entry.Speech ?? entry.Image, nameof(SynchronousOutcomes));
            }

            return Task.CompletedTask;
        }

        private static void Observe(ConsumeContext context, IJobResult? outcome, string how)
        {
            if (outcome?.Route.Provider == OutcomesProvider && context.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery))
            {
                Observed.AddOrUpdate(outcome.JobId, (how, delivery.Properties.Persistent), (_, _) => ("twice", false));
            }
        }
    }

    private sealed class OutcomeObserverDefinition : ConsumerDefinition<OutcomeObserver>
    {
        public OutcomeObserverDefinition() => EndpointName = "outcomes-test-observer";
    }
}
