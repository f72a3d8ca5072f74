using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.OpenAI;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>No API key: the adapter still runs, reports "unavailable" and answers every command with 503 at once.</summary>
public sealed class NoApiKeyTests : IAsyncLifetime
{
    private readonly NoKeyHost _host = new();

    [Fact]
    public async Task Answers_503_provider_unavailable_without_calling_the_provider()
    {
        var response = await _host.AskAsync<ChatCompletion, ChatCompleted>(_host.Chat("hi"), JobKind.Chat);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(503);
        failed.Message.Error.Code.ShouldBe("provider_unavailable");
        failed.Message.Error.Message.ShouldContain("no API key");
        _host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Ends_a_stream_with_a_503_error_entry()
    {
        var deltas = await _host.StreamAsync(_host.Chat("hi", stream: true));

        deltas.ShouldHaveSingleItem().Error!.Status.ShouldBe(503);
    }

    [Fact]
    public async Task Answers_images_and_speech_with_503_too()
    {
        var image = await _host.AskAsync<GenerateImage, ImageGenerated>(_host.Image(), JobKind.Image);
        var speech = await _host.AskAsync<Speech, SpeechSynthesized>(_host.Speech(), JobKind.Speech);

        image.Is(out Response<JobFailed>? imageFailed).ShouldBeTrue();
        imageFailed!.Message.Error.Status.ShouldBe(503);
        speech.Is(out Response<JobFailed>? speechFailed).ShouldBeTrue();
        speechFailed!.Message.Error.Status.ShouldBe(503);
    }

    [Fact]
    public async Task Publishes_heartbeats_saying_unavailable()
    {
        var seen = new ConcurrentQueue<ProviderHeartbeat>();
        var bus = _host.Services.GetRequiredService<IBus>();
        var handle = bus.ConnectReceiveEndpoint(e => e.Handler<ProviderHeartbeat>(c =>
        {
            seen.Enqueue(c.Message);
            return Task.CompletedTask;
        }));
        await handle.Ready;
        try
        {
            var arrived = await TestInfrastructure.EventuallyAsync(
                () => Task.FromResult(seen.Any(h => h.Provider == _host.Provider)), TimeSpan.FromSeconds(15));

            arrived.ShouldBeTrue();
            var heartbeat = seen.First(h => h.Provider == _host.Provider);
            heartbeat.Status.ShouldBe("unavailable");
            heartbeat.Detail.ShouldNotBeNull().ShouldContain("No API key");
        }
        finally
        {
            await handle.StopAsync();
        }
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class NoKeyHost : OpenAIAdapterHost
    {
        protected override bool WithApiKey => false;
    }
}

/// <summary>The circuit breaker: after repeated failures calls fail fast and the provider reports "degraded".</summary>
public sealed class CircuitBreakerTests : IAsyncLifetime
{
    private readonly BreakerHost _host = new();

    [Fact]
    public async Task Opens_after_repeated_failures_then_fails_fast_and_reports_degraded()
    {
        _host.Health.Current().Status.ShouldBe(ProviderHealth.Available);
        _host.Emulator.Fail(FailureMode.ServerError);

        for (var i = 0; i < 2; i++)
        {
            var response = await _host.AskAsync<ChatCompletion, ChatCompleted>(_host.Chat("hi"), JobKind.Chat);
            response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
            failed!.Message.Error.Status.ShouldBe(502);
        }

        var before = _host.Emulator.Requests.Count;
        var fast = await _host.AskAsync<ChatCompletion, ChatCompleted>(_host.Chat("hi"), JobKind.Chat);

        fast.Is(out Response<JobFailed>? open).ShouldBeTrue();
        open!.Message.Error.Status.ShouldBe(503);
        open.Message.Error.Code.ShouldBe("provider_unavailable");
        open.Message.Error.Message.ShouldContain("fail fast");
        _host.Emulator.Requests.Count.ShouldBe(before);
        var (status, detail) = _host.Health.Current();
        status.ShouldBe(ProviderHealth.Degraded);
        detail.ShouldNotBeNull();
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class BreakerHost : OpenAIAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["OpenAI:MaxRetries"] = "0";
            settings["OpenAI:BreakerMinimumThroughput"] = "2";
            settings["OpenAI:BreakerFailureRatio"] = "0.5";
            settings["OpenAI:BreakerBreakDuration"] = "00:05:00";
        }
    }
}
