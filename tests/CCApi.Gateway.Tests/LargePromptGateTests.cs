using CCApi.Gateway.Limits;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

/// <summary>
/// <see cref="LargePromptGate"/>: a large request's counting takes a permit, one per key and a few per replica, waiting
/// in line oldest first; past a key's line 429, past the replica's 503; small requests never take one.
/// </summary>
public sealed class LargePromptGateTests
{
    private const int Large = 10_000;

    private static LargePromptGate Gate(int perKeyQueue = 2, int concurrent = 4, int queue = 8) => new(Options.Create(new LargePromptOptions
    {
        Characters = Large, PerKey = 1, PerKeyQueue = perKeyQueue, Concurrent = concurrent, Queue = queue,
    }));

    [Fact]
    public async Task A_request_below_the_size_takes_no_permit_and_never_waits()
    {
        await using var gate = Gate(perKeyQueue: 0);
        using var held = await gate.EnterAsync("key_a", Large, CancellationToken.None);
        held.ShouldNotBeNull();

        (await gate.EnterAsync("key_a", Large - 1, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task A_keys_second_large_request_waits_for_the_first_while_another_key_goes_ahead()
    {
        await using var gate = Gate();
        var first = await gate.EnterAsync("key_a", Large, CancellationToken.None);

        var second = gate.EnterAsync("key_a", Large, CancellationToken.None).AsTask();
        using var other = await gate.EnterAsync("key_b", Large, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(200);
        second.IsCompleted.ShouldBeFalse();

        first!.Dispose();
        using var next = await second.WaitAsync(TimeSpan.FromSeconds(5));
        next.ShouldNotBeNull();
    }

    [Fact]
    public async Task Past_the_keys_line_a_request_is_429_with_retry_after()
    {
        await using var gate = Gate(perKeyQueue: 1);
        using var held = await gate.EnterAsync("key_a", Large, CancellationToken.None);
        var waiting = gate.EnterAsync("key_a", Large, CancellationToken.None).AsTask();

        var error = await Should.ThrowAsync<ApiException>(gate.EnterAsync("key_a", Large, CancellationToken.None).AsTask());

        (error.Status, error.Type, error.Code).ShouldBe((429, ErrorTypes.RateLimit, ErrorCodes.RateLimitExceeded));
        error.Details!["limit"].ShouldBe("large_prompts");
        error.Details["retry_after"].ShouldBe("1");
        waiting.IsCompleted.ShouldBeFalse(); // the one in line keeps its place
    }

    [Fact]
    public async Task Past_the_replicas_line_a_request_is_503_and_gives_its_keys_permit_back()
    {
        await using var gate = Gate(concurrent: 1, queue: 1);
        using var held = await gate.EnterAsync("key_a", Large, CancellationToken.None);
        var waiting = gate.EnterAsync("key_b", Large, CancellationToken.None).AsTask();

        var error = await Should.ThrowAsync<ApiException>(gate.EnterAsync("key_c", Large, CancellationToken.None).AsTask());
        (error.Status, error.Code, error.Details!["retry_after"]).ShouldBe((503, "service_unavailable", "1"));

        // key_c's own permit went back with the refusal: once the replica has room, key_c is served at once.
        held!.Dispose();
        (await waiting.WaitAsync(TimeSpan.FromSeconds(5)))!.Dispose();
        using var after = await gate.EnterAsync("key_c", Large, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        after.ShouldNotBeNull();
    }

    [Fact]
    public async Task A_canceled_wait_leaves_the_line_and_a_permit_released_twice_counts_once()
    {
        await using var gate = Gate(perKeyQueue: 1);
        var held = await gate.EnterAsync("key_a", Large, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var canceled = gate.EnterAsync("key_a", Large, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(canceled);

        var next = gate.EnterAsync("key_a", Large, CancellationToken.None).AsTask(); // the line has room again
        held!.Dispose();
        held.Dispose();
        using var served = await next.WaitAsync(TimeSpan.FromSeconds(5));

        // One permit per key: the double release did not make room for a second.
        var third = gate.EnterAsync("key_a", Large, CancellationToken.None).AsTask();
        await Task.Delay(200);
        third.IsCompleted.ShouldBeFalse();
    }
}
