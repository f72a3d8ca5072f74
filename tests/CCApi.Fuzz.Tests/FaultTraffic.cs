using System.Collections.Concurrent;
using System.Text;
using Xunit.Abstractions;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Steady client traffic while a dependency is taken away and brought back: workers sending synchronous image requests
/// (which wait on the broker for their answer), one submitting async jobs and one reading them back, until the fault is over. Records
/// every answer (checked by <see cref="ResponseRules"/>), every request that got no answer at all, and every accepted
/// job, so a test can say what clients saw in the window and whether every accepted job ended.
/// </summary>
public sealed class FaultTraffic(RestartPlatform platform)
{
    private const int SyncWorkers = 6;

    private readonly ResponseRules _rules = new();
    private readonly ConcurrentBag<string> _violations = [];
    private readonly ConcurrentBag<string> _accepted = [];
    private readonly ConcurrentDictionary<int, int> _byStatus = new();
    private readonly ConcurrentQueue<string> _timeline = new();
    private readonly System.Diagnostics.Stopwatch _clock = new();

    public ResponseRules Rules => _rules;

    public IReadOnlyCollection<string> AcceptedJobs => _accepted;

    /// <summary>
    /// When each phase ended, in seconds since the traffic started ("stopped 2.1 s, started 5.3 s, ready 14.0 s, …"): in
    /// the report and in every failure's message, so a run that failed on a loaded machine says which phase took the time.
    /// </summary>
    public string Timeline => string.Join(", ", _timeline);

    private void Mark(string phase) =>
        _timeline.Enqueue(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{phase} {_clock.Elapsed.TotalSeconds:0.0} s"));

    /// <summary>Runs the traffic while <paramref name="fault"/> runs, plus a short stretch before and after it.</summary>
    public async Task RunAsync(Func<Task> fault)
    {
        // The client gives up long before the gateway's own 60 s request timeout: a request that waited it out is a
        // violation here, not a slow pass.
        using var client = platform.CreateClient(timeout: TimeSpan.FromSeconds(30));
        using var stop = new CancellationTokenSource();
        _clock.Restart();
        var workers = Enumerable.Range(0, SyncWorkers)
            .Select(w => WorkAsync(client, "sync image", i => Image("local/pixel-1", $"fault {w}.{i}", 128), TimeSpan.Zero, stop.Token))
            // One async job a second: fewer than the adapter finishes, so synchronous requests never queue behind a growing backlog.
            .Append(WorkAsync(client, "async image", i => Image("local/pixel-async-1", $"fault async {i}", 64), TimeSpan.FromSeconds(1), stop.Token))
            // Reads that go to Redis every time (JobStatus's job records), whether or not an adapter is involved.
            .Append(WorkAsync(client, "job read", _ => _accepted.TryPeek(out var id) ? new HttpRequestMessage(HttpMethod.Get, $"/v1/images/jobs/{id}") : null,
                TimeSpan.FromMilliseconds(200), stop.Token))
            .ToList();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2)); // traffic flowing, requests waiting on the broker
            await fault();
            await Task.Delay(TimeSpan.FromSeconds(2)); // and flowing again after it
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            Mark("traffic over");
        }
    }

    /// <summary>
    /// Stops <paramref name="server"/> the operator's way under traffic, leaves it away for <paramref name="away"/>, starts
    /// it again and waits until every service says it is ready again — by itself: no service is restarted.
    /// </summary>
    public Task RestartUnderTrafficAsync(NativeServer server, TimeSpan away) => RunAsync(async () =>
    {
        await server.StopAsync();
        Mark("stopped");
        await Task.Delay(away);
        await server.StartAsync();
        Mark("started");
        // MassTransit reconnects on its own backoff (growing to 30 s between attempts over a long outage), and a machine
        // busy with the rest of the fuzz suite took 24 s to boot the node and 23 s more until every service was ready.
        (await TestInfrastructure.EventuallyAsync(platform.AllReadyAsync, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250)))
            .ShouldBeTrue($"not every service was ready again after the restart ({Timeline})\n" + platform.Logs());
        Mark("all ready");
    });

    /// <summary>What clients saw, in the test's output and in the figures file bench/results is written from.</summary>
    public void Report(string fault, ITestOutputHelper output)
    {
        var line = $"{fault}: {_rules.Summary()}; {_accepted.Count} async jobs accepted; {Timeline}";
        output.WriteLine(line);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "ccapi-fuzz-figures.txt"), $"{DateTimeOffset.UtcNow:O} {line}\n");
    }

    /// <summary>Every answer a success or a documented 503/504 with the error object; no request left without an answer.</summary>
    public void ShouldHaveAnsweredEveryRequestClearly()
    {
        var summary = $"{_rules.Summary()} ({Timeline})";
        _violations.ShouldBeEmpty(string.Join("\n", _violations.Take(20)) + "\n" + summary);
        _byStatus.Keys.ShouldAllBe(status => status == 200 || status == 202 || status == 503 || status == 504, summary);
        (_byStatus.GetValueOrDefault(503) + _byStatus.GetValueOrDefault(504)).ShouldBeGreaterThan(0,
            "no request was refused: none was in the window, so this run proved nothing. " + summary);
        _byStatus.GetValueOrDefault(200).ShouldBeGreaterThan(0, summary);
    }

    /// <summary>
    /// Once the fault is over the platform serves again by itself: a synchronous request answers 200 (within 30 s: the
    /// adapter's consumer and the gateway's one-second queue probe cache catch up), an async job is accepted (within
    /// 30 s too) and completes.
    /// </summary>
    public async Task ShouldWorkAgainAsync()
    {
        using var client = platform.CreateClient(timeout: TimeSpan.FromSeconds(30));
        var last = "";
        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            using var request = Image("local/pixel-1", "after the fault", 64);
            using var sync = await client.SendAsync(request);
            last = $"HTTP {(int)sync.StatusCode} {await sync.Content.ReadAsStringAsync()}";
            return sync.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250))).ShouldBeTrue($"no synchronous request succeeded after the fault ({Timeline}): {last}");
        Mark("a synchronous request answered");

        // An async job too, in the same window: registering it is a request to JobStatus, whose endpoint may come back a
        // moment after the adapter's (CI once saw the first registration after a broker restart answer 503 "retry
        // shortly" with every service ready). A 503 is the documented answer to retry; anything else fails at once.
        string? id = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            using var submission = Image("local/pixel-async-1", "after the fault", 64);
            using var submitted = await client.SendAsync(submission);
            var text = await submitted.Content.ReadAsStringAsync();
            last = $"HTTP {(int)submitted.StatusCode} {text}";
            if (submitted.StatusCode != HttpStatusCode.ServiceUnavailable)
            {
                submitted.StatusCode.ShouldBe(HttpStatusCode.Accepted, text);
                id = (string)JsonNode.Parse(text)!["id"]!;
            }

            return id is not null;
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250))).ShouldBeTrue($"no async job was accepted after the fault ({Timeline}): {last}");
        string? status = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            status = (string?)JsonNode.Parse(await client.GetStringAsync($"/v1/images/jobs/{id}"))?["status"];
            return status is "completed" or "failed" or "canceled";
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250))).ShouldBeTrue($"job {id} still {status} ({Timeline})");
        status.ShouldBe("completed");
        Mark("an async job completed");
    }

    /// <summary>Every accepted job ends — completed by its adapter or failed by JobStatus after Jobs:StuckAfter — never stays pending or processing.</summary>
    public async Task ShouldEndEveryAcceptedJobAsync()
    {
        _accepted.ShouldNotBeEmpty();
        using var client = platform.CreateClient();
        var open = _accepted.ToList();
        var seen = new Dictionary<string, string>();
        var ended = await TestInfrastructure.EventuallyAsync(async () =>
        {
            var still = new List<string>();
            foreach (var id in open)
            {
                using var response = await client.GetAsync($"/v1/images/jobs/{id}");
                var status = response.IsSuccessStatusCode ? (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?["status"] : null;
                if (status is not ("completed" or "failed" or "canceled"))
                {
                    still.Add(id);
                    seen[id] = $"HTTP {(int)response.StatusCode} {status}";
                }
            }

            open = still;
            return open.Count == 0;
        }, RestartPlatform.StuckAfter + TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        ended.ShouldBeTrue($"{open.Count} of {_accepted.Count} accepted jobs never ended ({Timeline}): {string.Join(", ", open.Take(10).Select(id => $"{id} ({seen[id]})"))}");
        Mark("every accepted job ended");
    }

    private async Task WorkAsync(HttpClient client, string kind, Func<int, HttpRequestMessage?> next, TimeSpan pause, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            using var request = next(i);
            if (request is null)
            {
                await Task.Delay(pause, CancellationToken.None);
                continue;
            }

            var answered = false;
            try
            {
                // Not canceled by `stop`: a request in flight runs to its answer, so none is counted as unanswered by mistake.
                using var response = await client.SendAsync(request, CancellationToken.None);
                _byStatus.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                answered = response.IsSuccessStatusCode;
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    _accepted.Add((string)JsonNode.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None))!["id"]!);
                }

                if (await _rules.CheckAsync(response) is { } problem)
                {
                    _violations.Add($"{kind} {request.Method} {request.RequestUri} at {DateTimeOffset.UtcNow:HH:mm:ss.fff}: {problem}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                _violations.Add($"{kind} {request.Method} {request.RequestUri} at {DateTimeOffset.UtcNow:HH:mm:ss.fff}: no answer: {ex.GetType().Name}: {ex.Message}");
            }

            // No hot loop of refusals; and a pause between the workers that do not wait for an adapter.
            await Task.Delay(answered ? pause : TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }
    }

    private static HttpRequestMessage Image(string model, string text, int size) => new(HttpMethod.Post, "/v1/images/generate")
    {
        Content = new StringContent(
            $$$"""{"model":"{{{model}}}","contents":[{"text":"{{{text}}}"}],"parameters":{"width":{{{size}}},"height":{{{size}}}}}""",
            Encoding.UTF8, "application/json"),
    };
}
