using System.Diagnostics;
using CCApi.Contracts;
using CCApi.Storage;
using CCApi.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The life of one job in any adapter, so each consumer only says how its provider does the work:
/// a redelivered command answers with the stored result (the provider is not called — or paid — twice); a command past
/// its deadline fails at once; the work runs under a token that fires at the deadline or when the client goes away
/// (<see cref="JobCancellations"/>); the result is stored, answered
/// (when requested) and published; a known failure (<see cref="UpstreamException"/>, <see cref="ApiException"/>, the
/// deadline) ends the job as <see cref="JobFailed"/> with the CCAPI error. Anything else is a bug and faults the message.
/// </summary>
public sealed partial class AdapterJobRunner(
    JobResultCache results, JobCancellations cancellations, SynchronousOutcomePublisher outcomes, SynchronousReplyPublisher replies,
    ILogger<AdapterJobRunner> logger)
{
    /// <summary>
    /// The job as the other overload runs it, for a consumer that needs nothing of its provider call but the outcome: the
    /// call's span is started here (<see cref="AdapterTelemetry.Start"/>) and ends with the job.
    /// </summary>
    /// <param name="step">The result-cache key of this kind of work (e.g. "openai-speech").</param>
    /// <param name="work">Calls the provider with the command; its token fires when the consumer stops or the deadline passes.</param>
    /// <param name="callKind">INTERNAL for a model running in the adapter's own process (the local provider), else CLIENT.</param>
    public async Task RunAsync<TCommand, TResult>(
        ConsumeContext<TCommand> context,
        JobKind kind,
        string step,
        Func<TCommand, CancellationToken, Task<TResult>> work,
        ActivityKind callKind = ActivityKind.Client)
        where TCommand : class, IJobCommand
        where TResult : class, IJobResult
    {
        using var call = AdapterTelemetry.Start(context.Message, callKind);
        await RunAsync(context, kind, step, call, cancellationToken => work(context.Message, cancellationToken));
    }

    /// <param name="step">The result-cache key of this kind of work (e.g. "openai-speech").</param>
    /// <param name="call">The consumer's provider call (see <see cref="AdapterTelemetry.Start"/>); gets the outcome.</param>
    /// <param name="work">Calls the provider; its token fires when the consumer stops or the deadline passes.</param>
    public async Task RunAsync<TCommand, TResult>(
        ConsumeContext<TCommand> context,
        JobKind kind,
        string step,
        ProviderCall call,
        Func<CancellationToken, Task<TResult>> work)
        where TCommand : class, IJobCommand
        where TResult : class, IJobResult
    {
        ArgumentNullException.ThrowIfNull(call);
        var command = context.Message;
        // Redis is asked (one round trip, both reads pipelined) only where it can know something: a stored result only
        // for a command delivered before, a cancellation only for one this replica may not have heard of.
        var earlierRead = MayBeRepeated(context) ? results.GetAsync<TResult>(command.JobId, step) : Task.FromResult<TResult?>(null);
        var endedRead = cancellations.MayHaveMissedCancellation(command.Timestamp) ? cancellations.HasEndedInStoreAsync(command.JobId) : Task.FromResult(false);
        await Task.WhenAll(earlierRead, endedRead); // both observed, whichever fails (a Redis blip fails both anyway)
        if (await earlierRead is { } earlier)
        {
            LogRedelivered(logger, kind, command.JobId);
            await AdapterOutcomes.FinishAsync(context, command, earlier, outcomes, replies);
            return;
        }

        ErrorInfo error;
        using var canceled = cancellations.Register(command.JobId);
        if (await endedRead)
        {
            // Canceled while queued (POST /v1/images/jobs/{id}/cancel), or failed by JobStatus' sweeper while it waited
            // behind a backlog: the provider is never called.
            LogEndedBeforeStart(logger, kind, command.JobId);
            cancellations.Cancel(command.JobId);
        }

        using var deadline = AdapterOutcomes.DeadlineToken(command.Deadline, context.CancellationToken);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, canceled.Token);
        try
        {
            if (AdapterOutcomes.IsPastDeadline(command.Deadline))
            {
                throw new UpstreamException(UpstreamErrors.DeadlinePassed(command.Route.Provider));
            }

            token.Token.ThrowIfCancellationRequested();
            var result = call.Succeeded(await work(token.Token));

            // Stored before the outcome leaves — Redis runs one connection's commands in order and the write is already on
            // it — but not waited for first: the caller does not wait for this round trip. A failed store still faults the
            // message (redelivery), as it did when it was awaited before answering. One serialization serves the stored
            // result and the synchronous answer: the same JSON.
            var json = SynchronousReplies.Serialize(result);
            var stored = results.SetJsonAsync(command.JobId, step, json, command.Deadline);
            await Task.WhenAll(AdapterOutcomes.FinishAsync(context, command, result, outcomes, replies, json), stored); // a failed answer leaves no store unobserved
            return;
        }
        catch (Exception ex) when (FailureOf(ex, command.Route.Provider, deadline.Token, context.CancellationToken, canceled.Token) is { } known)
        {
            error = known;
        }
        catch (OperationCanceledException ex) when (context.CancellationToken.IsCancellationRequested && ex.CancellationToken != context.CancellationToken)
        {
            // The process is stopping (rolling update, scale-in) mid-job. MassTransit returns the message to the queue only
            // when the cancellation carries ITS token; any other reads as a consumer failure and would fault the job. The
            // redelivered command then resumes (result cache, stored provider task ids) rather than paying twice.
            throw new OperationCanceledException("The adapter stopped while the job was running; the command goes back to the queue.", ex, context.CancellationToken);
        }

        call.Failed(error);
        await AdapterOutcomes.FinishAsync(context, command, AdapterOutcomes.Failed(command, command.Route, kind, error), outcomes, replies);
    }

    /// <summary>
    /// Whether this delivery may repeat one that already ran: RabbitMQ's redelivered flag (a consumer died or stopped
    /// holding it), a retry of the same delivery, or MassTransit's redelivery. A first delivery has no stored result.
    /// </summary>
    public static bool MayBeRepeated(ConsumeContext context) =>
        context.ReceiveContext.Redelivered || context.GetRetryAttempt() > 0 || context.GetRedeliveryCount() > 0;

    /// <summary>
    /// The CCAPI error a known job failure stands for; null for anything else (a bug, or the consumer itself stopping —
    /// those must fault or be redelivered, not end the job).
    /// </summary>
    public static ErrorInfo? FailureOf(Exception exception, string provider, CancellationToken deadline, CancellationToken consumer, CancellationToken canceled = default) => exception switch
    {
        UpstreamException upstream => upstream.Error,
        ApiException api => api.ToErrorInfo(),
        OperationCanceledException when consumer.IsCancellationRequested => null,
        OperationCanceledException when canceled.IsCancellationRequested => JobCancellations.Error(),
        OperationCanceledException when deadline.IsCancellationRequested => UpstreamErrors.DeadlinePassed(provider),
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} job {JobId} had ended (canceled or timed out) before it started; the provider is not called")]
    private static partial void LogEndedBeforeStart(ILogger logger, JobKind kind, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} job {JobId} redelivered after it completed; answering with the stored result")]
    private static partial void LogRedelivered(ILogger logger, JobKind kind, Guid jobId);
}
