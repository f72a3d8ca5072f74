using System.Diagnostics;
using System.Threading.Channels;
using CCApi.Contracts;
using CCApi.Messaging;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// JobStatus' copies of synchronous jobs' outcomes, published many to a message (<see cref="SynchronousOutcomes"/>): the
/// first outcome opens a window of <see cref="Window"/>, and what the adapter finishes within it (up to
/// <see cref="MaxBatch"/> a message) goes out together — transient and unconfirmed, like every message of a synchronous
/// call. Measured with one message per call, that copy was a quarter of the CPU of a chat request across all processes
/// (a publish, a broker route and delivery, a consume); at a thousand calls a second the batch makes it one message per
/// ~20 calls. The caller never waits for any of it: it has its response already.
/// <para>
/// What is held here is lost if the process dies within the window, as a transient message is when the broker restarts:
/// the record of a job whose caller has its answer. While the broker cannot take a batch it is retried every
/// <see cref="RetryDelay"/>; beyond <see cref="Capacity"/> waiting outcomes the oldest are dropped (logged), so an outage
/// cannot grow the adapter's memory. On stop, what is held is published before the bus stops (this service is registered
/// after the bus, so it stops first); a consumer still finishing after that publishes its outcome on its own.
/// </para>
/// </summary>
public sealed partial class SynchronousOutcomePublisher : BackgroundService
{
    /// <summary>How long the first outcome of a batch waits for others.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a batch the bus refused waits before it is published again.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The most outcomes in one message (a chat outcome without its choices is a few hundred bytes).</summary>
    public const int MaxBatch = 200;

    /// <summary>The most outcomes held while the broker cannot take them.</summary>
    public const int Capacity = 10_000;

    private readonly IBus _bus;
    private readonly ILogger<SynchronousOutcomePublisher> _logger;
    private readonly Channel<SynchronousOutcome> _held;
    private List<SynchronousOutcome>? _unsent;

    public SynchronousOutcomePublisher(IBus bus, ILogger<SynchronousOutcomePublisher> logger)
    {
        _bus = bus;
        _logger = logger;
        _held = Channel.CreateBounded<SynchronousOutcome>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => LogDropped(logger, dropped.Outcome()?.JobId ?? Guid.Empty));
    }

    /// <summary>
    /// Hands over JobStatus' copy of a synchronous job's outcome (<see cref="ChatCompleted"/>, <see cref="SpeechSynthesized"/>,
    /// <see cref="ImageGenerated"/> or <see cref="JobFailed"/>), with the current span as its place in the job's trace.
    /// Returns at once; after this service stopped, once the outcome is published on its own.
    /// </summary>
    public Task AddAsync(IJobMessage outcome, CancellationToken cancellationToken)
    {
        var entry = Entry(outcome, Activity.Current?.Id);
        return _held.Writer.TryWrite(entry) ? Task.CompletedTask : PublishAsync([entry], cancellationToken);
    }

    /// <summary>The batch entry of an outcome; a chat's choices stay out (JobStatus records usage, never content).</summary>
    public static SynchronousOutcome Entry(IJobMessage outcome, string? traceParent) => outcome switch
    {
        ChatCompleted chat => new() { Chat = chat with { Choices = [] }, TraceParent = traceParent },
        SpeechSynthesized speech => new() { Speech = speech, TraceParent = traceParent },
        ImageGenerated image => new() { Image = image, TraceParent = traceParent },
        JobFailed failed => new() { Failed = failed, TraceParent = traceParent },
        _ => throw new ArgumentException($"{outcome.GetType().Name} is not the outcome of a synchronous job.", nameof(outcome)),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _held.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(Window, stoppingToken);
                await PublishHeldAsync(retry: true, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: StopAsync publishes what is still held
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        _held.Writer.TryComplete(); // from now on AddAsync publishes each outcome on its own
        await PublishHeldAsync(retry: false, cancellationToken);
    }

    private async Task PublishHeldAsync(bool retry, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = _unsent ?? Take();
            if (batch.Count == 0)
            {
                return;
            }

            _unsent = batch;
            try
            {
                await PublishAsync(batch, cancellationToken);
                _unsent = null;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogPublishFailed(_logger, batch.Count, ex);
                if (!retry)
                {
                    return;
                }

                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    private List<SynchronousOutcome> Take()
    {
        var batch = new List<SynchronousOutcome>(Math.Min(_held.Reader.Count, MaxBatch));
        while (batch.Count < MaxBatch && _held.Reader.TryRead(out var entry))
        {
            batch.Add(entry);
        }

        return batch;
    }

    private Task PublishAsync(IReadOnlyList<SynchronousOutcome> batch, CancellationToken cancellationToken) =>
        _bus.Publish<SynchronousOutcomes>(new() { Outcomes = batch }, MessagingExtensions.SynchronousCall, cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} synchronous job outcomes could not be published for JobStatus")]
    private static partial void LogPublishFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}'s outcome was dropped unpublished: too many were waiting for the broker")]
    private static partial void LogDropped(ILogger logger, Guid jobId);
}
