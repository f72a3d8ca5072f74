using System.Diagnostics;
using System.Globalization;
using CCApi.Gateway.Idempotency;
using CCApi.Messaging;
using MassTransit;

namespace CCApi.Gateway.Dispatch;

/// <summary>
/// Puts commands on a provider's queue ("{provider}-{capability}") and turns what comes back into either the success
/// event or a CCAPI error: a JobFailed response keeps its status; a fault (poison message) is a 502 and a timeout a
/// 504 — both also published as JobFailed, since no adapter did; a client that went away publishes JobCanceled.
/// </summary>
public sealed partial class ProviderDispatcher(
    SynchronousCalls calls,
    IBus bus,
    IOptions<MessagingOptions> messaging,
    TimeProvider time,
    IHttpContextAccessor http,
    ProviderQueueProbe queues,
    StreamSlots streams,
    BusHealthWatch busHealth,
    ILogger<ProviderDispatcher> logger)
{
    public TimeSpan RequestTimeout => messaging.Value.RequestTimeout;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>When the edge stops waiting for a synchronous job.</summary>
    public DateTimeOffset Deadline => time.GetUtcNow() + messaging.Value.RequestTimeout;

    /// <summary>Failures worth trying the next failover candidate for: provider errors, overload, timeouts, outages.</summary>
    public static bool IsRetriable(ApiException error) => error.Status >= 500 || error.Status == 429;

    public async Task<TSuccess> RequestAsync<TCommand, TSuccess>(TCommand command, JobRoute route, JobKind kind, CancellationToken cancellationToken)
        where TCommand : class, IJobMessage
        where TSuccess : class
    {
        Tag(route, command.JobId);
        var queue = await queues.EnsureConsumedAsync(route, kind, cancellationToken); // no live adapter: 503 at once, not a timeout
        var metrics = http.HttpContext.ModelRequestMetrics();
        metrics?.Attempt(route, kind, async: false, streamed: false);
        http.HttpContext.IdempotentRequest()?.MarkDispatched(); // from here on an Idempotency-Key saves the outcome
        var timeout = messaging.Value.RequestTimeout;
        using var watch = busHealth.Begin(cancellationToken); // the broker connection lost: 503 at once, not a timeout
        using var call = Expect<TCommand, TSuccess>();
        try
        {
            // Expires when the caller has stopped waiting (still queued then: the broker drops it).
            await call.SendAsync(MessagingExtensions.QueueAddress(queue), command, timeout, MessagingExtensions.SynchronousCall, watch.Token);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw await CanceledAsync(command.JobId, ex, cancellationToken);
        }
        catch (Exception ex) when (watch.BusLost || ex is MassTransitException or TimeoutException)
        {
            LogBusFailure(logger, ex);
            throw BusUnavailable();
        }

        object response;
        try
        {
            response = await call.Response.WaitAsync(timeout, watch.Token);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw await CanceledAsync(command.JobId, ex, cancellationToken);
        }
        catch (OperationCanceledException ex) when (watch.BusLost)
        {
            LogBusFailure(logger, ex); // the response queue went with the connection: the answer cannot arrive
            throw BusUnavailable();
        }
        catch (TimeoutException)
        {
            LogTimeout(logger, command.JobId, route.Provider);
            var error = TimeoutError(route.Provider);
            await PublishFailedAsync(command.JobId, route, kind, error);
            throw ApiException.FromErrorInfo(error);
        }

        switch (response)
        {
            case TSuccess success:
                metrics?.Answered(success);
                return success;
            case JobFailed failed:
                throw ToApiException(failed.Error);
            case Fault<TCommand> fault:
                LogFault(logger, command.JobId, route.Provider, FaultReason(fault));
                var error = IsStorageFault(fault)
                    ? new ErrorInfo
                    {
                        // The adapter could not reach Redis (its retries spent): the platform's outage, not the provider's.
                        Status = 503,
                        Type = ErrorTypes.Api,
                        Code = GatewayErrorCodes.ServiceUnavailable,
                        Message = "The platform's storage could not be reached while the request ran; nothing was charged. Retry shortly.",
                    }
                    : new ErrorInfo
                    {
                        Status = 502,
                        Type = ErrorTypes.Api,
                        Code = ErrorCodes.ProviderError,
                        Message = $"The provider '{route.Provider}' failed to process the request.",
                    };
                await PublishFailedAsync(command.JobId, route, kind, error);
                throw ApiException.FromErrorInfo(error);
            case SynchronousCalls.RepliesLost:
                // Redis dropped the connection this answer was to come on: the job may have finished or not.
                var lost = new ErrorInfo
                {
                    Status = 503,
                    Type = ErrorTypes.Api,
                    Code = GatewayErrorCodes.ServiceUnavailable,
                    Message = "The platform's storage connection dropped while the request ran; its answer could not be received. Retry shortly.",
                };
                await PublishFailedAsync(command.JobId, route, kind, lost);
                throw ApiException.FromErrorInfo(lost);
            default:
                throw new ApiException(502, ErrorTypes.Api, ErrorCodes.ProviderError, "The provider answered with an unexpected message.");
        }
    }

    /// <summary>
    /// JobStatus records an asynchronous job as pending before the client hears 202, so the first poll finds it. Watched
    /// like every other wait on the bus (<see cref="BusHealthWatch"/>: 503 at once when the broker connection is lost) and
    /// bounded as a whole by <paramref name="timeout"/> — the publish included, which MassTransit would otherwise hold until
    /// the broker is back. Not canceled by the client: its registration may already be at JobStatus, and the caller must
    /// end a job it registered. The registration is persistent and confirmed: it is the job's first record — so one that
    /// timed out or faulted may still be recorded later (JobStatus retrying through a Redis stall, a redelivery): the job
    /// is failed with the 503 the client hears, so it never sits pending, unknown to its client, until the sweeper fails it.
    /// </summary>
    public async Task RegisterAsync(RegisterJob registration, TimeSpan timeout)
    {
        using var watch = busHealth.Begin(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(watch.Token);
        deadline.CancelAfter(timeout);
        using var call = Expect<RegisterJob, JobRegistered>();
        object response;
        try
        {
            await call.PublishAsync(registration, timeout, deadline.Token);
            response = await call.Response.WaitAsync(deadline.Token);
        }
        catch (Exception ex) when (watch.BusLost && ex is OperationCanceledException or MassTransitException)
        {
            LogBusFailure(logger, ex);
            throw BusUnavailable();
        }
        catch (OperationCanceledException)
        {
            LogRegistrationTimedOut(logger, registration.JobId, timeout.TotalSeconds);
            throw await RegistrationFailedAsync(registration);
        }
        catch (MassTransitException ex)
        {
            LogBusFailure(logger, ex);
            throw BusUnavailable();
        }

        if (response is not JobRegistered)
        {
            LogRegistrationFault(logger, registration.JobId, FaultReason(response as Fault));
            throw await RegistrationFailedAsync(registration);
        }
    }

    /// <summary>The 503 for a registration that did not answer in time or faulted, after failing the job it may yet record.</summary>
    private async Task<ApiException> RegistrationFailedAsync(RegisterJob registration)
    {
        var error = new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable,
            "The job could not be registered right now; nothing was started. Retry shortly.");
        await PublishFailedAsync(registration.JobId, registration.Route, registration.Kind, error.ToErrorInfo());
        return error;
    }

    /// <summary>A new call, waiting for its response; 503 while the bus has not started the endpoint the responses come to.</summary>
    private SynchronousCalls.Call Expect<TCommand, TSuccess>()
        where TCommand : class
        where TSuccess : class
    {
        try
        {
            return calls.Expect<TCommand, TSuccess>(NewId.NextGuid());
        }
        catch (MassTransitException ex)
        {
            LogBusFailure(logger, ex);
            throw BusUnavailable();
        }
    }

    /// <summary>The client went away while its job ran: the adapter is told to stop (JobCanceled).</summary>
    private async Task<OperationCanceledException> CanceledAsync(Guid jobId, Exception cause, CancellationToken cancellationToken)
    {
        await PublishCanceledAsync(jobId, "The client disconnected.");
        return new OperationCanceledException("The client disconnected.", cause, cancellationToken);
    }

    /// <summary>What a consumer fault says first: its exception's type and message, for the log.</summary>
    private static string? FaultReason(Fault? fault) =>
        fault?.Exceptions?.FirstOrDefault() is { } e ? $"{e.ExceptionType}: {e.Message}" : null;

    /// <summary>A consumer fault caused by Redis: a StackExchange.Redis exception, thrown or as the inner exception of one.</summary>
    public static bool IsStorageFault(Fault? fault) =>
        fault?.Exceptions?.Any(e => e.ExceptionType?.StartsWith("StackExchange.Redis.", StringComparison.Ordinal) == true
            || e.InnerException?.ExceptionType?.StartsWith("StackExchange.Redis.", StringComparison.Ordinal) == true) == true;

    /// <summary><see cref="SynchronousCalls.ExpectStream"/>: a streaming chat's notifications on this process's channel.</summary>
    public SynchronousCalls.StreamNotices? ExpectStream(Guid jobId) => calls.ExpectStream(jobId);

    /// <summary>
    /// Fire a command at a provider's queue: streaming chat on "{provider}-chat", async image jobs on their own
    /// "{provider}-image-async" (<see cref="ProviderQueueProbe.AsyncImageQueueAsync"/>); <paramref name="notices"/>, the
    /// channel a streaming chat's notifications are to come on (<see cref="ExpectStream"/>), named in its command.
    /// </summary>
    public async Task SendAsync<TCommand>(TCommand command, JobRoute route, JobKind kind, CancellationToken cancellationToken, SynchronousCalls.StreamNotices? notices = null)
        where TCommand : class, IJobMessage
    {
        Tag(route, command.JobId);
        var queue = kind == JobKind.Image
            ? await queues.AsyncImageQueueAsync(route, cancellationToken)
            : await queues.EnsureConsumedAsync(route, kind, cancellationToken);

        var slot = kind == JobKind.Chat ? streams.Acquire(route.OwnerId) : null; // a stream holds its slot until its request ends
        if (slot is not null)
        {
            if (http.HttpContext is { } context)
            {
                context.Response.RegisterForDispose(slot);
            }
            else
            {
                slot.Dispose(); // no request to hold it for
            }
        }

        http.HttpContext.ModelRequestMetrics()?.Attempt(route, kind, async: kind != JobKind.Chat, streamed: kind == JobKind.Chat);
        using var watch = busHealth.Begin(cancellationToken);
        try
        {
            var endpoint = await bus.GetSendEndpoint(MessagingExtensions.QueueAddress(queue));
            if (notices is null)
            {
                await endpoint.Send(command, watch.Token);
            }
            else
            {
                await endpoint.Send(command, context => context.Headers.Set(SynchronousReplies.ChannelHeader, notices.Channel), watch.Token);
            }

            http.HttpContext.IdempotentRequest()?.MarkDispatched(); // from here on an Idempotency-Key saves the outcome
        }
        catch (Exception ex) when ((ex is MassTransitException or TimeoutException && !cancellationToken.IsCancellationRequested) || watch.BusLost)
        {
            LogBusFailure(logger, ex);
            throw BusUnavailable();
        }
    }

    /// <summary>The HTTP span says which job, model and provider a request became (the last candidate wins on failover).</summary>
    private static void Tag(JobRoute route, Guid jobId)
    {
        if (Activity.Current is { } activity)
        {
            activity.SetTag("ccapi.job_id", jobId.ToString("N"));
            activity.SetTag("ccapi.model", route.Model);
            activity.SetTag("ccapi.provider", route.Provider);
        }
    }

    public ErrorInfo TimeoutError(string provider) => new()
    {
        Status = 504,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderTimeout,
        Message = $"The provider '{provider}' did not answer within {messaging.Value.RequestTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s.",
    };

    public async Task PublishFailedAsync(Guid jobId, JobRoute? route, JobKind kind, ErrorInfo error)
    {
        try
        {
            await bus.Publish(new JobFailed { JobId = jobId, Timestamp = time.GetUtcNow(), Route = route, Kind = kind, Error = error }, busHealth.WhileConnected);
        }
        catch (Exception ex)
        {
            LogPublishFailed(logger, nameof(JobFailed), jobId, ex);
        }
    }

    public async Task PublishCanceledAsync(Guid jobId, string reason)
    {
        try
        {
            await bus.Publish(new JobCanceled { JobId = jobId, Timestamp = time.GetUtcNow(), Reason = reason }, busHealth.WhileConnected);
        }
        catch (Exception ex)
        {
            LogPublishFailed(logger, nameof(JobCanceled), jobId, ex);
        }
    }

    /// <summary>An adapter's error as the client's error; a status outside 4xx/5xx becomes 502.</summary>
    public static ApiException ToApiException(ErrorInfo error) =>
        error.Status is >= 400 and <= 599
            ? ApiException.FromErrorInfo(error)
            : new ApiException(502, error.Type, error.Code ?? ErrorCodes.ProviderError, error.Message, error.Details);

    public static ApiException BusUnavailable() =>
        new(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "The platform cannot reach its providers right now; retry shortly.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: provider {Provider} did not answer in time")]
    private static partial void LogTimeout(ILogger logger, Guid jobId, string provider);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: provider {Provider} faulted: {Reason}")]
    private static partial void LogFault(ILogger logger, Guid jobId, string provider, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: JobStatus could not register it: {Reason}")]
    private static partial void LogRegistrationFault(ILogger logger, Guid jobId, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: JobStatus did not register it within {Seconds} s; failed")]
    private static partial void LogRegistrationTimedOut(ILogger logger, Guid jobId, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The message bus is unavailable")]
    private static partial void LogBusFailure(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish {MessageType} for job {JobId}")]
    private static partial void LogPublishFailed(ILogger logger, string messageType, Guid jobId, Exception exception);
}
