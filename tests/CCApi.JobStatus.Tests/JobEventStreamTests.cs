using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Text.Json.Nodes;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.Testing;
using MassTransit;

namespace CCApi.JobStatus.Tests;

/// <summary>A JobStatus with a short heartbeat, so a stream that waits shows it.</summary>
public sealed class JobEventsFactory() : JobStatusFactory(new Dictionary<string, string?>
{
    ["Jobs:EventsHeartbeat"] = "00:00:00.200",
});

public static class JobEventsReading
{
    /// <summary>Every status view the job's stream has, from the first, read to the end.</summary>
    public static async Task<List<JobView>> ReadStatusesAsync(this JobStatusFactory factory, Guid jobId) =>
        (await factory.ReadEventsAsync(jobId, lastEventId: "0-0")).Where(e => e.Type == "status").Select(e => e.View!).ToList();

    /// <summary>GET /jobs/{id}/events, read to its end (or until <paramref name="until"/> holds); heartbeats are kept as (null, "heartbeat").</summary>
    public static async Task<List<(string? Id, string Type, JobView? View)>> ReadEventsAsync(
        this JobStatusFactory factory,
        Guid jobId,
        string? lastEventId = null,
        Func<List<(string? Id, string Type, JobView? View)>, bool>? until = null,
        HttpClient? client = null,
        TaskCompletionSource? firstEvent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{jobId:N}/events");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        using var timeout = new CancellationTokenSource(JobStatusFactory.Patience);
        using var response = await (client ?? factory.CreateClient()).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = new List<(string? Id, string Type, JobView? View)>();
        var parser = SseParser.Create(await response.Content.ReadAsStreamAsync(timeout.Token));
        await foreach (var item in parser.EnumerateAsync(timeout.Token))
        {
            events.Add(item.EventType == "status"
                ? (parser.LastEventId, "status", JsonSerializer.Deserialize<JobView>(item.Data, JobStatusFactory.Json))
                : (null, item.EventType, null));
            firstEvent?.TrySetResult();
            if (until?.Invoke(events) == true)
            {
                break;
            }
        }

        return events;
    }
}

[Collection(JobStatusBusCollection.Name)]
public sealed class JobEventStreamTests(JobEventsFactory factory) : IClassFixture<JobEventsFactory>
{
    [Fact]
    public async Task The_status_stream_sends_one_event_per_change_from_pending_to_completed_then_ends()
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = factory.ReadEventsAsync(jobId, firstEvent: opened);

        await opened.Task.WaitAsync(JobStatusFactory.Patience);
        await factory.Bus.Publish(TestJobs.Started(jobId));
        await factory.WaitForStateAsync(jobId, "processing");
        await factory.Bus.Publish(new JobProgressed { JobId = jobId, Timestamp = DateTimeOffset.UtcNow, Percent = 40 });
        await factory.WaitForJobAsync(jobId, j => j.Progress == 40);
        await factory.Bus.Publish(TestJobs.Generated(jobId));

        var statuses = (await reading).Where(e => e.Type == "status").ToList();

        statuses.Select(e => (e.View!.State, e.View.Progress)).ShouldBe(
            [("pending", 0), ("processing", 0), ("processing", 40), ("completed", 100)]);
        statuses[^1].View!.Images!.Single().Seed.ShouldBe(7);
        statuses.Select(e => e.Id).ShouldBeUnique();
        statuses.Select(e => e.Id!).ShouldBe(statuses.Select(e => e.Id!).OrderBy(StreamOrder), "event ids rise");
    }

    [Fact]
    public async Task Last_Event_ID_resumes_after_that_event_without_gaps_or_repeats()
    {
        var jobId = await RunJobToCompletionAsync();

        var all = (await factory.ReadEventsAsync(jobId, lastEventId: "0-0")).Where(e => e.Type == "status").ToList();
        all.Select(e => e.View!.State).ShouldBe(["pending", "processing", "processing", "completed"]);

        var resumed = (await factory.ReadEventsAsync(jobId, lastEventId: all[1].Id)).Where(e => e.Type == "status").ToList();

        resumed.Select(e => e.Id).ShouldBe(all.Skip(2).Select(e => e.Id));
        resumed.Select(e => e.View!.Progress).ShouldBe([40, 100]);
    }

    [Fact]
    public async Task Another_JobStatus_instance_serves_the_same_events_from_Redis()
    {
        var jobId = await RunJobToCompletionAsync();
        var here = (await factory.ReadEventsAsync(jobId, lastEventId: "0-0")).Select(e => e.Id).ToList();

        await using var other = new JobEventsFactory();
        var there = (await factory.ReadEventsAsync(jobId, lastEventId: "0-0", client: other.CreateClient())).Select(e => e.Id).ToList();

        there.ShouldBe(here);
    }

    [Fact]
    public async Task A_terminal_job_sends_its_final_view_and_ends()
    {
        var jobId = await RunJobToCompletionAsync();

        var events = await factory.ReadEventsAsync(jobId);

        events.Count.ShouldBe(1);
        events[0].View!.State.ShouldBe("completed");
    }

    [Fact]
    public async Task Resuming_at_or_past_the_terminal_event_sends_only_the_ending_again()
    {
        var jobId = await RunJobToCompletionAsync();
        var last = (await factory.ReadEventsAsync(jobId)).Single();

        // An EventSource that reconnects after the end sees the terminal view (and stops), never an empty stream.
        foreach (var after in new[] { last.Id, "99999999999999-0" })
        {
            var again = (await factory.ReadEventsAsync(jobId, lastEventId: after)).ShouldHaveSingleItem();
            again.Id.ShouldBe(last.Id);
            again.View!.State.ShouldBe("completed");
        }
    }

    [Fact]
    public async Task Resuming_a_running_job_past_its_last_event_ends_with_the_terminal_view_when_the_job_ends()
    {
        // A Last-Event-ID beyond the stream's end (a client's own bookkeeping, another replica's clock): the terminal entry
        // comes before it, so the ending must be noticed from the job's state, not from the range.
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));
        await factory.Bus.Publish(TestJobs.Started(jobId));
        await factory.WaitForStateAsync(jobId, "processing");
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = factory.ReadEventsAsync(jobId, lastEventId: "99999999999999-0", firstEvent: open);

        await open.Task.WaitAsync(JobStatusFactory.Patience); // a heartbeat: the stream is open and waiting
        await factory.Bus.Publish(TestJobs.Generated(jobId));

        var events = await reading.WaitAsync(TimeSpan.FromSeconds(15));
        var ending = events.Where(e => e.Type == "status").ShouldHaveSingleItem();
        ending.View!.State.ShouldBe("completed");
        events.Where(e => e.Type != "status").ShouldAllBe(e => e.Type == "heartbeat");
    }

    [Fact]
    public async Task A_resumed_stream_sends_its_headers_before_its_first_event()
    {
        // Nothing follows the client's id yet, and heartbeats are 30 s apart: the headers must not wait for either (the
        // gateway's wait for them is bounded by Services:Timeout).
        await using var slow = new JobStatusFactory(new Dictionary<string, string?> { ["Jobs:EventsHeartbeat"] = "00:00:30" });
        var jobId = Guid.NewGuid();
        await slow.RegisterAsync(TestJobs.Register(jobId));
        var first = (await slow.ReadEventsAsync(jobId, until: e => e.Count > 0)).Single();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{jobId:N}/events");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", first.Id);

        using var response = await slow.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(10));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
    }

    [Fact]
    public async Task A_quiet_stream_sends_heartbeats_until_the_job_moves()
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));

        var events = await factory.ReadEventsAsync(jobId, until: e => e.Count(x => x.Type == "heartbeat") >= 2);

        events[0].View!.State.ShouldBe("pending");
        events.Skip(1).ShouldAllBe(e => e.Type == "heartbeat");
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("12")]
    [InlineData("1-2-3")]
    [InlineData("-1-0")]
    [InlineData("99999999999999999999-0")]                                  // past 64 bits: Redis refuses it
    [InlineData("18446744073709551615-18446744073709551615")]               // the last id: nothing can follow it
    public async Task A_malformed_Last_Event_ID_is_a_400_naming_the_header(string lastEventId)
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{jobId:N}/events");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);

        using var response = await factory.CreateClient().SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        ((string)error["details"]!["param"]!).ShouldBe("Last-Event-ID");
        ((string)error["message"]!).ShouldContain("Last-Event-ID");
    }

    [Fact]
    public async Task An_unknown_job_has_no_stream()
    {
        using var response = await factory.CreateClient().GetAsync($"/jobs/{Guid.NewGuid():N}/events");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private async Task<Guid> RunJobToCompletionAsync()
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));
        await factory.Bus.Publish(TestJobs.Started(jobId));
        await factory.WaitForStateAsync(jobId, "processing");
        await factory.Bus.Publish(new JobProgressed { JobId = jobId, Timestamp = DateTimeOffset.UtcNow, Percent = 40 });
        await factory.WaitForJobAsync(jobId, j => j.Progress == 40);
        await factory.Bus.Publish(TestJobs.Generated(jobId));
        await factory.WaitForStateAsync(jobId, "completed");
        return jobId;
    }

    private static (long, long) StreamOrder(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return (long.Parse(id[..dash], System.Globalization.CultureInfo.InvariantCulture), long.Parse(id[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
