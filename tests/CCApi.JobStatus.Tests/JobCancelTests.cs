using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Tests;

[Collection(JobStatusBusCollection.Name)]
public sealed class JobCancelTests(WebhookFactory factory) : IClassFixture<WebhookFactory>, IAsyncLifetime
{
    private readonly ConcurrentDictionary<Guid, int> _canceledEvents = new();
    private WebhookReceiver _receiver = null!;
    private HostReceiveEndpointHandle? _listener;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        // Stands in for the adapters and the gateway's credits: everything that must hear JobCanceled once.
        _listener = factory.Bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance, e =>
        {
            e.Handler<JobCanceled>(context =>
            {
                _canceledEvents.AddOrUpdate(context.Message.JobId, 1, (_, n) => n + 1);
                return Task.CompletedTask;
            });
        });
        await _listener.Ready;
    }

    public async Task DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.StopAsync();
        }

        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task Canceling_a_pending_job_answers_the_canceled_view_publishes_JobCanceled_and_a_late_result_changes_nothing()
    {
        var jobId = Guid.NewGuid();
        using var consumed = factory.WatchConsumed();
        await factory.RegisterAsync(TestJobs.Register(jobId));

        using var response = await factory.CreateClient().PostAsync($"/jobs/{jobId:N}/cancel", null);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var view = (await response.Content.ReadFromJsonAsync<JobView>(JobStatusFactory.Json))!;
        view.State.ShouldBe("canceled");
        view.Error!.Code.ShouldBe("canceled");
        await consumed.WaitAsync<JobCanceled>(jobId); // JobStatus hears its own event too, and changes nothing

        await factory.Bus.Publish(TestJobs.Generated(jobId));
        await consumed.WaitAsync<ImageGenerated>(jobId);

        var job = (await factory.GetJobAsync(jobId))!;
        job.State.ShouldBe("canceled");
        job.Images.ShouldBeNull();
        _canceledEvents.GetValueOrDefault(jobId).ShouldBe(1);
    }

    [Fact]
    public async Task Canceling_a_finished_job_is_a_409_with_its_view_and_publishes_nothing()
    {
        var jobId = await factory.CompleteNewJobAsync();

        using var response = await factory.CreateClient().PostAsync($"/jobs/{jobId:N}/cancel", null);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await response.Content.ReadFromJsonAsync<JobView>(JobStatusFactory.Json))!.State.ShouldBe("completed");
        (await factory.GetJobAsync(jobId))!.State.ShouldBe("completed");
        _canceledEvents.ContainsKey(jobId).ShouldBeFalse();
    }

    [Fact]
    public async Task Canceling_twice_is_a_409_the_second_time_and_JobCanceled_goes_out_once()
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));
        var client = factory.CreateClient();

        (await client.PostAsync($"/jobs/{jobId:N}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync($"/jobs/{jobId:N}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        (await CCApi.Testing.TestInfrastructure.EventuallyAsync(() => Task.FromResult(_canceledEvents.ContainsKey(jobId)), JobStatusFactory.Patience)).ShouldBeTrue();
        _canceledEvents[jobId].ShouldBe(1);
    }

    [Fact]
    public async Task Canceling_an_unknown_job_is_a_404_and_creates_no_record()
    {
        var jobId = Guid.NewGuid();

        using var response = await factory.CreateClient().PostAsync($"/jobs/{jobId:N}/cancel", null);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await factory.GetJobAsync(jobId)).ShouldBeNull();
    }

    [Fact]
    public async Task A_cancel_racing_a_completion_ends_in_one_terminal_state_for_every_reader_with_one_webhook()
    {
        var client = factory.CreateClient();
        var jobs = new List<(Guid JobId, string Hook, Task<HttpResponseMessage> Cancel)>();
        for (var i = 0; i < 12; i++)
        {
            var jobId = Guid.NewGuid();
            var hook = _receiver.Hook(200);
            await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook));
            await factory.Bus.Publish(TestJobs.Started(jobId));
            await factory.WaitForStateAsync(jobId, "processing");
            var completion = factory.Bus.Publish(TestJobs.Generated(jobId));
            jobs.Add((jobId, hook, client.PostAsync($"/jobs/{jobId:N}/cancel", null)));
            await completion;
        }

        foreach (var (jobId, hook, cancel) in jobs)
        {
            using var answer = await cancel;
            var winner = answer.StatusCode == HttpStatusCode.OK ? "canceled" : "completed";
            if (winner == "completed")
            {
                answer.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            }

            (await answer.Content.ReadFromJsonAsync<JobView>(JobStatusFactory.Json))!.State.ShouldBe(winner);
            var job = await factory.WaitForWebhookAsync(jobId, "delivered");
            job.State.ShouldBe(winner);
            var stream = (await factory.ReadStatusesAsync(jobId)).Where(v => JobStates.IsTerminal(v.State)).ToList();
            stream.Select(v => v.State).ShouldBe([winner]);
            var deliveries = _receiver.DeliveriesTo(hook);
            deliveries.Count.ShouldBe(1);
            ((string)JsonNode.Parse(deliveries[0].Body)!["status"]!).ShouldBe(winner);
            if (winner == "canceled")
            {
                (await CCApi.Testing.TestInfrastructure.EventuallyAsync(() => Task.FromResult(_canceledEvents.ContainsKey(jobId)), JobStatusFactory.Patience)).ShouldBeTrue();
                _canceledEvents[jobId].ShouldBe(1);
            }
            else
            {
                _canceledEvents.ContainsKey(jobId).ShouldBeFalse();
            }
        }
    }
}
