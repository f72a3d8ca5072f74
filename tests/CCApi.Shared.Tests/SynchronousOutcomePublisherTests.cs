using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;

namespace CCApi.Shared.Tests;

/// <summary>
/// JobStatus' copies of synchronous outcomes leave an adapter many to a message: what finishes within the window shares
/// one, a refused batch is published again, and stopping loses nothing that was handed over.
/// (The real broker's side — transient, routed to subscribers — is in <see cref="MessagingTests"/>.)
/// </summary>
public sealed class SynchronousOutcomePublisherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Outcomes_finished_together_go_out_in_one_message_with_their_traces_and_without_chat_content()
    {
        var bus = RecordingBus.Create();
        var publisher = new SynchronousOutcomePublisher(bus, NullLogger<SynchronousOutcomePublisher>.Instance);
        await publisher.StartAsync(CancellationToken.None);
        var traces = new List<string>();
        var ids = new List<Guid>();
        for (var i = 0; i < 30; i++)
        {
            using var span = new Activity("adapter call").SetIdFormat(ActivityIdFormat.W3C).Start();
            IJobMessage outcome = (i % 3) switch { 0 => Chat(), 1 => Speech(), _ => Failed() };
            await publisher.AddAsync(outcome, CancellationToken.None);
            traces.Add(span.Id!);
            ids.Add(outcome.JobId);
        }

        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(RecordingBus.Of(bus).Entries.Count == 30), Patience)).ShouldBeTrue();
        var published = RecordingBus.Of(bus);
        published.Messages.Count.ShouldBeLessThanOrEqualTo(2, "30 outcomes within one window share a message");
        published.Entries.Select(e => e.Outcome()!.JobId).ShouldBe(ids);
        published.Entries.Select(e => e.TraceParent).ShouldBe(traces);
        published.Entries.Where(e => e.Chat is not null).ShouldAllBe(e => e.Chat!.Choices.Count == 0 && e.Chat.Usage.TotalTokens == 7);
        await publisher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task More_than_one_message_holds_goes_out_in_several()
    {
        var bus = RecordingBus.Create();
        var publisher = new SynchronousOutcomePublisher(bus, NullLogger<SynchronousOutcomePublisher>.Instance);
        await publisher.StartAsync(CancellationToken.None);
        for (var i = 0; i < SynchronousOutcomePublisher.MaxBatch + 5; i++)
        {
            await publisher.AddAsync(Speech(), CancellationToken.None);
        }

        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(RecordingBus.Of(bus).Entries.Count == SynchronousOutcomePublisher.MaxBatch + 5), Patience)).ShouldBeTrue();
        RecordingBus.Of(bus).Messages.ShouldAllBe(m => m.Outcomes.Count <= SynchronousOutcomePublisher.MaxBatch);
        RecordingBus.Of(bus).Messages.Count.ShouldBe(2);
        await publisher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_batch_the_bus_refused_is_published_again()
    {
        var bus = RecordingBus.Create(refusals: 2);
        var publisher = new SynchronousOutcomePublisher(bus, NullLogger<SynchronousOutcomePublisher>.Instance);
        await publisher.StartAsync(CancellationToken.None);
        var outcomes = new[] { Chat(), Chat(), Chat() };
        foreach (var outcome in outcomes)
        {
            await publisher.AddAsync(outcome, CancellationToken.None);
        }

        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(RecordingBus.Of(bus).Entries.Count == 3), Patience)).ShouldBeTrue();
        RecordingBus.Of(bus).Refused.ShouldBe(2);
        RecordingBus.Of(bus).Entries.Select(e => e.Chat!.JobId).ShouldBe(outcomes.Select(o => o.JobId));
        await publisher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_publishes_what_is_held_and_later_outcomes_go_out_on_their_own()
    {
        var bus = RecordingBus.Create();
        var publisher = new SynchronousOutcomePublisher(bus, NullLogger<SynchronousOutcomePublisher>.Instance);
        await publisher.StartAsync(CancellationToken.None);
        var held = new[] { Speech(), Speech() };
        foreach (var outcome in held)
        {
            await publisher.AddAsync(outcome, CancellationToken.None);
        }

        await publisher.StopAsync(CancellationToken.None); // well within the window: nothing was published yet
        RecordingBus.Of(bus).Entries.Select(e => e.Speech!.JobId).ShouldBe(held.Select(o => o.JobId));

        var late = Failed();
        await publisher.AddAsync(late, CancellationToken.None); // a consumer finishing after the stop
        RecordingBus.Of(bus).Messages[^1].Outcomes.Single().Failed!.JobId.ShouldBe(late.JobId);
    }

    [Fact]
    public void Only_outcomes_of_jobs_are_taken()
    {
        var started = new JobStarted { JobId = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Route = Route, Kind = JobKind.Chat };

        Should.Throw<ArgumentException>(() => SynchronousOutcomePublisher.Entry(started, null));
    }

    private static readonly JobRoute Route = new() { OwnerId = "key_test", Provider = "batch-test", Model = "batch-test/echo", ProviderModel = "echo" };

    private static ChatCompleted Chat() => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route,
        Choices = [new ChatChoice { Message = new ChatMessage { Role = "assistant", Content = "secret answer" }, FinishReason = "stop" }],
        Usage = new Usage { PromptTokens = 3, CompletionTokens = 4, TotalTokens = 7 },
    };

    private static SpeechSynthesized Speech() => EchoSpeech.Synthesized(EchoSpeech.Command("batch-test"));

    private static JobFailed Failed() => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route,
        Kind = JobKind.Speech,
        Error = new ErrorInfo { Message = "upstream said no", Type = "provider_error", Status = 502 },
    };

    /// <summary>An <see cref="IBus"/> that keeps every <see cref="SynchronousOutcomes"/> published, after refusing the first few.</summary>
    public class RecordingBus : DispatchProxy
    {
        private int _refusals;

        public ConcurrentQueue<SynchronousOutcomes> Published { get; } = new();

        public int Refused { get; private set; }

        public List<SynchronousOutcomes> Messages => [.. Published];

        public List<SynchronousOutcome> Entries => [.. Published.SelectMany(m => m.Outcomes)];

        public static IBus Create(int refusals = 0)
        {
            var bus = DispatchProxy.Create<IBus, RecordingBus>();
            ((RecordingBus)(object)bus)._refusals = refusals;
            return bus;
        }

        public static RecordingBus Of(IBus bus) => (RecordingBus)(object)bus;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IPublishEndpoint.Publish) || args?[0] is not SynchronousOutcomes message)
            {
                throw new NotSupportedException($"{targetMethod?.Name} is not expected of the outcome publisher.");
            }

            if (_refusals > 0)
            {
                _refusals--;
                Refused++;
                return Task.FromException(new InvalidOperationException("broker unreachable"));
            }

            Published.Enqueue(message);
            return Task.CompletedTask;
        }
    }
}
