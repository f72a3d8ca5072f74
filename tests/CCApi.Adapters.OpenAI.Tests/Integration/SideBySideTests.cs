using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>
/// Several OpenAI-compatible upstreams run side by side: one adapter process per upstream, each under its own provider
/// name (OpenAI:Provider), consuming only its own queues and calling only its own base URL with its own key.
/// </summary>
public sealed class SideBySideTests : IAsyncLifetime
{
    private readonly OpenAIAdapterHost _first = new();
    private readonly OpenAIAdapterHost _second = new();

    public async Task InitializeAsync()
    {
        await _first.InitializeAsync();
        await _second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task Each_upstream_serves_only_the_commands_routed_to_its_provider()
    {
        _first.Provider.ShouldNotBe(_second.Provider);

        var fromFirst = await _first.AskAsync<ChatCompletion, ChatCompleted>(_first.Chat("to the first"), JobKind.Chat);
        var fromSecond = await _second.AskAsync<ChatCompletion, ChatCompleted>(_second.Chat("to the second"), JobKind.Chat);

        fromFirst.Is(out Response<ChatCompleted>? first).ShouldBeTrue();
        fromSecond.Is(out Response<ChatCompleted>? second).ShouldBeTrue();
        first!.Message.Route.Provider.ShouldBe(_first.Provider);
        second!.Message.Route.Provider.ShouldBe(_second.Provider);
        // Each upstream saw only its own command (more than once only when a loaded machine made an attempt outlast the
        // kit's 1.5 s per-attempt timeout, which the upstream pipeline retries: CI saw that once).
        _first.Emulator.Requests.ShouldNotBeEmpty();
        _first.Emulator.Requests.ShouldAllBe(r => r.Body.Contains("to the first", StringComparison.Ordinal) && !r.Body.Contains("to the second", StringComparison.Ordinal));
        _second.Emulator.Requests.ShouldNotBeEmpty();
        _second.Emulator.Requests.ShouldAllBe(r => r.Body.Contains("to the second", StringComparison.Ordinal) && !r.Body.Contains("to the first", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_upstream_opens_nothing_for_its_neighbour()
    {
        _first.Emulator.Fail(Emulators.FailureMode.ServerError);

        var failed = await _first.AskAsync<ChatCompletion, ChatCompleted>(_first.Chat("down"), JobKind.Chat);
        var served = await _second.AskAsync<ChatCompletion, ChatCompleted>(_second.Chat("up"), JobKind.Chat);

        failed.Is(out Response<JobFailed>? error).ShouldBeTrue();
        error!.Message.Error.Status.ShouldBe(502);
        served.Is(out Response<ChatCompleted>? _).ShouldBeTrue();
        _second.Health.Current().Status.ShouldBe("available");
    }
}
