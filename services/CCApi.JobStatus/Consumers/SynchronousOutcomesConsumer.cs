using System.Diagnostics;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// The records of synchronous jobs, many per message (<see cref="SynchronousOutcomes"/>, an adapter's batch of the
/// outcomes its callers already have): each outcome is applied as its own event would be (<see cref="JobChanges.Of"/>,
/// the one Lua script), all of them pipelined on the multiplexer, each under a span of its job's own trace. A retried or
/// redelivered batch is harmless: the script ignores what it already applied.
/// </summary>
public sealed class SynchronousOutcomesConsumer(JobUpdater jobs) : IConsumer<SynchronousOutcomes>
{
    public Task Consume(ConsumeContext<SynchronousOutcomes> context) =>
        Task.WhenAll(
            from entry in context.Message.Outcomes
            let outcome = entry.Outcome()
            where outcome is not null // a kind a newer adapter added: nothing this version can record
            select jobs.ApplyAsync(JobChanges.Of(outcome), context, context.CancellationToken, TraceOf(entry.TraceParent)));

    private static ActivityContext TraceOf(string? traceParent) =>
        ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
}
