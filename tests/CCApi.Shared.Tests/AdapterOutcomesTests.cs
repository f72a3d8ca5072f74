using System.Collections.Concurrent;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Messaging;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CCApi.Shared.Tests;

/// <summary>
/// How <see cref="AdapterOutcomes.FinishAsync{T}"/> ends a job, through real RabbitMQ: an asynchronous job's event is its
/// result (persistent); a synchronous job's caller gets the response and JobStatus a transient copy of the event.
/// </summary>
public sealed class AdapterOutcomesTests
{
    private const string Provider = "outcomes-test";
    private static readonly ConcurrentDictionary<Guid, bool> EventPersistent = new();

    [Fact]
    public async Task A_requested_job_answers_and_publishes_a_transient_event_and_a_sent_one_publishes_a_persistent_event()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:RabbitMq"] = TestInfrastructure.RabbitMq("shared");
        builder.AddMessaging(x =>
        {
            x.AddConsumer<FinishingSpeechConsumer, FinishingSpeechConsumerDefinition>();
            x.AddConsumer<SynthesizedObserver, SynthesizedObserverDefinition>();
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var address = MessagingExtensions.QueueAddress(Provider, JobKind.Speech);
            var requested = Command();
            var response = await bus.CreateRequestClient<Speech>(address, RequestTimeout.After(s: 30))
                .GetResponse<SpeechSynthesized, JobFailed>(requested);
            response.Is(out Response<SpeechSynthesized>? answered).ShouldBeTrue();
            answered!.Message.JobId.ShouldBe(requested.JobId);

            var sent = Command();
            await (await bus.GetSendEndpoint(address)).Send(sent);

            (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(EventPersistent.ContainsKey(requested.JobId) && EventPersistent.ContainsKey(sent.JobId)), TimeSpan.FromSeconds(30)))
                .ShouldBeTrue("both events reach their subscriber");
            EventPersistent[requested.JobId].ShouldBeFalse("the caller has the result; the event is JobStatus' record");
            EventPersistent[sent.JobId].ShouldBeTrue("without a caller the event is the job's result");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static Speech Command() => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = new JobRoute { OwnerId = "key_test", Provider = Provider, Model = Provider + "/echo", ProviderModel = "echo" },
        Input = "hello",
        Voice = "alloy",
        Format = "wav",
    };

    private sealed class FinishingSpeechConsumer : IConsumer<Speech>
    {
        public Task Consume(ConsumeContext<Speech> context) => AdapterOutcomes.FinishAsync(context, new SpeechSynthesized
        {
            JobId = context.Message.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = context.Message.Route,
            Audio = new BlobRef { Id = "none", ContentType = "audio/wav" },
            Format = context.Message.Format,
            Usage = new Usage { Characters = context.Message.Input.Length },
        });
    }

    private sealed class FinishingSpeechConsumerDefinition : ConsumerDefinition<FinishingSpeechConsumer>
    {
        public FinishingSpeechConsumerDefinition() => EndpointName = Queues.For(Provider, JobKind.Speech);
    }

    private sealed class SynthesizedObserver : IConsumer<SpeechSynthesized>
    {
        public Task Consume(ConsumeContext<SpeechSynthesized> context)
        {
            if (context.Message.Route.Provider == Provider && context.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery))
            {
                EventPersistent[context.Message.JobId] = delivery.Properties.Persistent;
            }

            return Task.CompletedTask;
        }
    }

    private sealed class SynthesizedObserverDefinition : ConsumerDefinition<SynthesizedObserver>
    {
        public SynthesizedObserverDefinition() => EndpointName = "outcomes-test-observer";
    }
}
