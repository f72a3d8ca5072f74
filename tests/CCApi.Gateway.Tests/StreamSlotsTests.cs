using CCApi.Gateway.Dispatch;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

/// <summary>Streams:MaxConcurrentPerKey: the open streams of each key on a replica, refused with 429 past the cap.</summary>
public sealed class StreamSlotsTests
{
    private static StreamSlots Slots(int max) => new(Options.Create(new StreamLimitOptions { MaxConcurrentPerKey = max }));

    [Fact]
    public void A_key_holding_its_maximum_of_streams_is_refused_with_429_naming_the_limit()
    {
        var slots = Slots(2);
        using var first = slots.Acquire("key_a");
        using var second = slots.Acquire("key_a");

        var refused = Should.Throw<ApiException>(() => slots.Acquire("key_a"));

        refused.Status.ShouldBe(429);
        refused.Code.ShouldBe(ErrorCodes.RateLimitExceeded);
        refused.Details!["limit"].ShouldBe("concurrent_streams");
        refused.Details["retry_after"].ShouldBe("1");
    }

    [Fact]
    public void Each_key_has_its_own_slots()
    {
        var slots = Slots(1);
        using var a = slots.Acquire("key_a");

        using var b = slots.Acquire("key_b");

        slots.Open("key_a").ShouldBe(1);
        slots.Open("key_b").ShouldBe(1);
    }

    [Fact]
    public void A_slot_released_once_frees_exactly_one_place_even_when_disposed_twice()
    {
        var slots = Slots(2);
        var first = slots.Acquire("key_a");
        using var second = slots.Acquire("key_a");

        first.Dispose();
        first.Dispose();

        slots.Open("key_a").ShouldBe(1);
        using var third = slots.Acquire("key_a");
        Should.Throw<ApiException>(() => slots.Acquire("key_a")).Status.ShouldBe(429);
    }

    [Fact]
    public async Task Concurrent_acquires_never_exceed_the_maximum()
    {
        var slots = Slots(10);
        var granted = 0;
        var held = new System.Collections.Concurrent.ConcurrentBag<IDisposable>();

        await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() =>
        {
            try
            {
                held.Add(slots.Acquire("key_a"));
                Interlocked.Increment(ref granted);
            }
            catch (ApiException)
            {
                // refused: the cap held
            }
        })));

        granted.ShouldBe(10);
        slots.Open("key_a").ShouldBe(10);
        foreach (var slot in held)
        {
            slot.Dispose();
        }

        slots.Open("key_a").ShouldBe(0);
    }
}
