using CCApi.Gateway.Auth;
using CCApi.Gateway.Limits;
using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

/// <summary>
/// <see cref="LargePromptGate"/>: a large chat is read only with its key's permit (one per key) and counted only with a
/// replica permit too (a few per replica), waiting in line oldest first; past a key's line 429, past the replica's 503;
/// small requests never take one.
/// </summary>
public sealed class LargePromptGateTests
{
    private const int Large = 10_000;

    private static LargePromptGate Gate(int perKeyQueue = 2, int concurrent = 4, int queue = 8) => new(Options.Create(new LargePromptOptions
    {
        Characters = Large, PerKey = 1, PerKeyQueue = perKeyQueue, Concurrent = concurrent, Queue = queue,
    }));

    private static DefaultHttpContext Request(string keyId)
    {
        var http = new DefaultHttpContext();
        http.Features.Set(new ApiCaller(keyId, keyId));
        return http;
    }

    [Fact]
    public async Task A_request_below_the_size_takes_no_permit_and_never_waits()
    {
        await using var gate = Gate(perKeyQueue: 0, concurrent: 1, queue: 0);
        var large = Request("key_a");
        await gate.EnterBeforeCountingAsync(large, Large, CancellationToken.None);

        var small = Request("key_a");
        await gate.EnterBeforeReadingAsync(small, Large - 1, CancellationToken.None);
        await gate.EnterBeforeReadingAsync(small, null, CancellationToken.None); // chunked: judged by its text, once read
        await gate.EnterBeforeCountingAsync(small, Large - 1, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        LargePromptGate.Release(large);
    }

    [Fact]
    public async Task A_filter_reading_the_body_first_takes_the_permit_only_on_a_large_prompt_route_and_the_handler_then_finds_it()
    {
        await using var gate = Gate(perKeyQueue: 0);
        static DefaultHttpContext Posted(string keyId, bool largePromptRoute)
        {
            var http = Request(keyId);
            http.Request.ContentLength = Large;
            http.SetEndpoint(new Endpoint(null, largePromptRoute ? new EndpointMetadataCollection(LargePromptRoute.Instance) : EndpointMetadataCollection.Empty, "route"));
            return http;
        }

        var chat = Posted("key_a", largePromptRoute: true);
        await gate.EnterBeforeReadingAsync(chat, CancellationToken.None);
        await gate.EnterBeforeReadingAsync(chat, Large, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)); // the handler: already held

        var other = Posted("key_a", largePromptRoute: false);
        await gate.EnterBeforeReadingAsync(other, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)); // an image or speech body: no permit

        var second = Posted("key_a", largePromptRoute: true); // the key's permit is held and its line is empty
        var error = await Should.ThrowAsync<ApiException>(gate.EnterBeforeReadingAsync(second, CancellationToken.None).AsTask());
        error.Status.ShouldBe(429);
        LargePromptGate.Release(chat);
        await gate.EnterBeforeReadingAsync(second, CancellationToken.None);
        LargePromptGate.Release(second);
    }

    [Fact]
    public async Task A_keys_second_large_body_waits_for_the_first_while_another_key_goes_ahead()
    {
        await using var gate = Gate();
        var first = Request("key_a");
        await gate.EnterBeforeReadingAsync(first, Large, CancellationToken.None);

        var second = gate.EnterBeforeReadingAsync(Request("key_a"), Large, CancellationToken.None).AsTask();
        await gate.EnterBeforeReadingAsync(Request("key_b"), Large, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(200);
        second.IsCompleted.ShouldBeFalse();

        await gate.EnterBeforeCountingAsync(first, Large, CancellationToken.None); // the same request: no second key permit
        LargePromptGate.Release(first);
        await second.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Past_the_keys_line_a_request_is_429_with_retry_after()
    {
        await using var gate = Gate(perKeyQueue: 1);
        await gate.EnterBeforeReadingAsync(Request("key_a"), Large, CancellationToken.None);
        var waiting = gate.EnterBeforeReadingAsync(Request("key_a"), Large, CancellationToken.None).AsTask();

        var error = await Should.ThrowAsync<ApiException>(gate.EnterBeforeCountingAsync(Request("key_a"), Large, CancellationToken.None).AsTask());

        (error.Status, error.Type, error.Code).ShouldBe((429, ErrorTypes.RateLimit, ErrorCodes.RateLimitExceeded));
        error.Details!["limit"].ShouldBe("large_prompts");
        error.Details["retry_after"].ShouldBe("1");
        waiting.IsCompleted.ShouldBeFalse(); // the one in line keeps its place
    }

    [Fact]
    public async Task A_body_being_read_holds_no_replica_permit_and_counting_waits_for_one()
    {
        await using var gate = Gate(concurrent: 1);
        var counting = Request("key_a");
        await gate.EnterBeforeCountingAsync(counting, Large, CancellationToken.None);

        // Another key's large body is read meanwhile (the replica permit is not needed for that) ...
        var reading = Request("key_b");
        await gate.EnterBeforeReadingAsync(reading, Large, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        // ... but counted only once the replica has room.
        var next = gate.EnterBeforeCountingAsync(reading, Large, CancellationToken.None).AsTask();
        await Task.Delay(200);
        next.IsCompleted.ShouldBeFalse();
        LargePromptGate.Release(counting);
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Past_the_replicas_line_a_request_is_503_and_gives_its_keys_permit_back()
    {
        await using var gate = Gate(concurrent: 1, queue: 1);
        var held = Request("key_a");
        await gate.EnterBeforeCountingAsync(held, Large, CancellationToken.None);
        var waiting = Request("key_b");
        var waited = gate.EnterBeforeCountingAsync(waiting, Large, CancellationToken.None).AsTask();

        var error = await Should.ThrowAsync<ApiException>(gate.EnterBeforeCountingAsync(Request("key_c"), Large, CancellationToken.None).AsTask());
        (error.Status, error.Code, error.Details!["retry_after"]).ShouldBe((503, "service_unavailable", "1"));

        // key_c's own permit went back with the refusal: it can be taken again at once.
        using var again = await gate.EnterKeyAsync("key_c", CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        LargePromptGate.Release(held);
        await waited.WaitAsync(TimeSpan.FromSeconds(5));
        LargePromptGate.Release(waiting);
    }

    [Fact]
    public async Task A_canceled_wait_leaves_the_line_and_a_permit_released_twice_counts_once()
    {
        await using var gate = Gate(perKeyQueue: 1);
        var held = Request("key_a");
        await gate.EnterBeforeReadingAsync(held, Large, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var canceled = gate.EnterBeforeReadingAsync(Request("key_a"), Large, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(canceled);

        var next = gate.EnterBeforeReadingAsync(Request("key_a"), Large, CancellationToken.None).AsTask(); // the line has room again
        LargePromptGate.Release(held);
        LargePromptGate.Release(held);
        await next.WaitAsync(TimeSpan.FromSeconds(5));

        // One permit per key: the double release did not make room for a second.
        var third = gate.EnterBeforeReadingAsync(Request("key_a"), Large, CancellationToken.None).AsTask();
        await Task.Delay(200);
        third.IsCompleted.ShouldBeFalse();
    }
}
