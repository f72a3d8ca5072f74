using System.Text.Json;
using CCApi.Contracts;

namespace CCApi.Testing.Adapters;

/// <summary>
/// Every adapter, the local one included, under at-least-once delivery: the outcome is published for JobStatus (a
/// synchronous one in a batch), and a
/// command delivered again after its job finished answers with the stored outcome instead of calling — and paying —
/// the provider a second time. (A first delivery does not look: it cannot have a stored outcome.)
/// </summary>
public abstract class RedeliveryTests<THost>(THost host)
    where THost : AdapterHost
{
    [Fact]
    public async Task A_job_outcome_is_published_for_JobStatus()
    {
        var command = host.Job();

        var answered = (await host.RunJobAsync(command)).ShouldHaveSucceeded();

        var published = (await host.WaitForAsync<IJobResult>(e => e.JobId == command.JobId)).ShouldHaveSingleItem();
        var recorded = answered is ChatCompleted chat ? chat with { Choices = [] } : answered; // JobStatus keeps usage, never a chat's content
        Json(published).ShouldBe(Json(recorded));
    }

    [Fact]
    public async Task A_redelivered_job_answers_with_the_stored_result_without_a_second_provider_call()
    {
        var command = host.Job();
        var before = host.ProviderRequests;
        var first = (await host.RunJobAsync(command)).ShouldHaveSucceeded();
        var calls = host.ProviderRequests;
        if (before is { } earlier)
        {
            calls.ShouldNotBeNull().ShouldBeGreaterThan(earlier); // the first delivery did call the provider
        }

        var second = (await host.RunJobAsync(command, redelivery: true)).ShouldHaveSucceeded();

        Json(second).ShouldBe(Json(first)); // the same blobs, usage and timestamp: the stored outcome
        host.ProviderRequests.ShouldBe(calls);
    }

    private static string Json(IJobResult result) => JsonSerializer.Serialize(result, result.GetType());
}
