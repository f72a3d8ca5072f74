using CCApi.Contracts;
using CCApi.Messaging;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CCApi.Shared.Tests;

public sealed class MessagingTests
{
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
    public void Queue_names_are_per_provider_and_capability()
    {
        Queues.For("local", JobKind.Chat).ShouldBe("local-chat");
        Queues.For("openai", JobKind.Image).ShouldBe("openai-image");
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

            var response = await client.GetResponse<SpeechSynthesized, JobFailed>(new Speech
            {
                JobId = jobId,
                Timestamp = DateTimeOffset.UtcNow,
                Route = new JobRoute { OwnerId = "key_test", Provider = "shared-test", Model = "shared-test/echo", ProviderModel = "echo" },
                Input = "hello",
                Voice = "alloy",
                Format = "wav",
            });

            response.Is(out Response<SpeechSynthesized>? ok).ShouldBeTrue();
            ok!.Message.JobId.ShouldBe(jobId);
            ok.Message.Usage.Characters.ShouldBe(5);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed class EchoSpeechConsumer : IConsumer<Speech>
    {
        public Task Consume(ConsumeContext<Speech> context) => context.RespondAsync(new SpeechSynthesized
        {
            JobId = context.Message.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = context.Message.Route,
            Audio = new BlobRef { Id = "none", ContentType = "audio/wav" },
            Format = context.Message.Format,
            Usage = new Usage { Characters = context.Message.Input.Length },
        });
    }

    private sealed class EchoSpeechConsumerDefinition : ConsumerDefinition<EchoSpeechConsumer>
    {
        public EchoSpeechConsumerDefinition() => EndpointName = Queues.For("shared-test", JobKind.Speech);
    }
}
