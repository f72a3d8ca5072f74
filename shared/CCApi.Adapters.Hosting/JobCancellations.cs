using System.Collections.Concurrent;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// Jobs whose client went away or asked to stop (<see cref="JobCanceled"/>, published by the gateway, by JobStatus
/// on POST /v1/images/jobs/{id}/cancel, or by JobStatus' sweeper when it failed a job that ran out of time) stop in every
/// adapter replica: the work in flight is canceled — a provider call or stream that nobody will read is not paid for —
/// and a command still queued for such a job is not started at all, whether this replica heard the event
/// (<see cref="WasCanceled"/>) or not (<see cref="HasEndedInStoreAsync"/>: the job record is final already — canceled,
/// failed by the sweeper or by the gateway, or completed by an earlier run — and the replica was down, or started after
/// the event, or the command waited behind a backlog longer than the job was given). The store is asked only when
/// the replica may not have the event yet (<see cref="MayHaveMissedCancellation"/>): a command that waited in its queue,
/// or one created before this replica's cancellation queue listened. A fresh command on a listening replica — the common
/// case — costs no Redis round trip before the provider call; a cancellation that reaches it after it started stops the
/// call in flight (<see cref="Register"/>).
/// </summary>
public sealed class JobCancellations(TimeProvider time, IConnectionMultiplexer redis) : IReceiveEndpointObserver
{
    /// <summary>How long a cancellation is remembered for commands that have not started yet.</summary>
    public static readonly TimeSpan Memory = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How far the gateway's clock (a command's timestamp) may be ahead of this replica's: a command stamped less than
    /// this after the cancellation queue became ready is treated as older than it.
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A command older than this when it starts has waited in its queue (a busy, paused or restarted adapter): long enough
    /// for its job to have been canceled with the event still queued behind on this replica, so the record is read.
    /// </summary>
    public static readonly TimeSpan Fresh = TimeSpan.FromMilliseconds(100);

    private long _listeningSinceTicks; // 0: the cancellation queue is not listening (not yet, or lost with its connection)

    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _canceled = new();

    /// <summary>The error a canceled job ends with (nobody reads it: the job is already "canceled" in JobStatus).</summary>
    public static ErrorInfo Error() => new()
    {
        Status = 499,
        Type = ErrorTypes.InvalidRequest,
        Code = ErrorCodes.Canceled,
        Message = "The request was canceled: the client went away before the provider answered.",
    };

    /// <summary>A token that fires when the job is canceled (at once if it already was); dispose it when the job ends.</summary>
    public Registration Register(Guid jobId)
    {
        var cts = new CancellationTokenSource();
        _running[jobId] = cts;
        if (_canceled.ContainsKey(jobId))
        {
            cts.Cancel();
        }

        return new Registration(this, jobId, cts);
    }

    /// <summary>
    /// True when JobStatus' record of the job says it has ended — canceled, failed or completed: the first final state is
    /// the last, so running it now could only pay the provider for a result nobody can have (one HGET; false for a job
    /// it does not know, as a synchronous job's is until its outcome).
    /// </summary>
    public async Task<bool> HasEndedInStoreAsync(Guid jobId) =>
        (string?)await redis.GetDatabase().HashGetAsync(RedisKeys.Job(jobId), RedisKeys.JobStateField)
            is JobStates.Canceled or JobStates.Failed or JobStates.Completed;

    /// <summary>
    /// True when a cancellation of a job whose command was created at <paramref name="commandCreated"/> may not have
    /// reached this replica yet: the command waited in its queue longer than <see cref="Fresh"/> (the event may be queued
    /// behind), or this replica's cancellation queue is not listening, or was not yet when the command was created (a
    /// temporary queue: a lost connection deletes it, and what was published meanwhile never reaches the new one).
    /// </summary>
    public bool MayHaveMissedCancellation(DateTimeOffset commandCreated)
    {
        var since = Interlocked.Read(ref _listeningSinceTicks);
        return since == 0
            || commandCreated.UtcTicks < since + ClockSkew.Ticks
            || time.GetUtcNow() - commandCreated > Fresh;
    }

    /// <summary>True when the job was canceled within the last <see cref="Memory"/>.</summary>
    public bool WasCanceled(Guid jobId) => _canceled.ContainsKey(jobId);

    public void Cancel(Guid jobId)
    {
        var now = time.GetUtcNow();
        _canceled[jobId] = now;
        if (_running.TryGetValue(jobId, out var cts))
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the job just ended
            }
        }

        foreach (var (id, at) in _canceled)
        {
            if (now - at > Memory)
            {
                _canceled.TryRemove(id, out _);
            }
        }
    }

    // The cancellation queue's own events (the observer is connected to that endpoint only, by its definition).
    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        Interlocked.Exchange(ref _listeningSinceTicks, time.GetUtcNow().UtcTicks);
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted) => NotListening();

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping) => NotListening();

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed) => NotListening();

    private Task NotListening()
    {
        Interlocked.Exchange(ref _listeningSinceTicks, 0);
        return Task.CompletedTask;
    }

    public sealed class Registration(JobCancellations owner, Guid jobId, CancellationTokenSource cts) : IDisposable
    {
        public CancellationToken Token => cts.Token;

        public bool IsCanceled => cts.IsCancellationRequested;

        public void Dispose()
        {
            owner._running.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(jobId, cts));
            cts.Dispose();
        }
    }
}

/// <summary>Feeds <see cref="JobCanceled"/> into <see cref="JobCancellations"/>.</summary>
public sealed class JobCanceledConsumer(JobCancellations cancellations) : IConsumer<JobCanceled>
{
    public Task Consume(ConsumeContext<JobCanceled> context)
    {
        cancellations.Cancel(context.Message.JobId);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Every replica must hear every cancellation (the job may run on any of them), so the consumer gets a temporary,
/// per-instance queue, auto-deleted when the process stops. <see cref="JobCancellations"/> watches that endpoint: while
/// it listens, commands created since need no look at the store.
/// </summary>
public sealed class JobCanceledConsumerDefinition : ConsumerDefinition<JobCanceledConsumer>
{
    public JobCanceledConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Temporary = true;
            e.InstanceId = "adapter-" + Guid.NewGuid().ToString("N")[..12];
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<JobCanceledConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.ConnectReceiveEndpointObserver(context.GetRequiredService<JobCancellations>());
}
