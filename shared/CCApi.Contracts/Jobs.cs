namespace CCApi.Contracts;

/// <summary>
/// Request to JobStatus: record a new asynchronous job as pending before the client is answered 202,
/// so the first poll always finds it. Responded to with <see cref="JobRegistered"/>.
/// </summary>
public sealed record RegisterJob : IJobMessage
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }
    public required JobKind Kind { get; init; }

    /// <summary>"sync" or "async".</summary>
    public required string Mode { get; init; }

    public string? Operation { get; init; }
    public string? WebhookUrl { get; init; }

    /// <summary>"url" or "b64_json": how results are rendered when polled or delivered.</summary>
    public string ResponseFormat { get; init; } = "url";

    public double? EstimatedSeconds { get; init; }
}

public sealed record JobRegistered : IJobMessage
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Event: an adapter picked the job up.</summary>
public sealed record JobStarted : IJobMessage
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }
    public required JobKind Kind { get; init; }
}

/// <summary>Event: progress of a running job, 0–100.</summary>
public sealed record JobProgressed : IJobMessage
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required int Percent { get; init; }
    public string? Message { get; init; }
}

/// <summary>Event: a job ended in failure. Also the failure response to a synchronous request.</summary>
public sealed record JobFailed : IJobMessage
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public JobRoute? Route { get; init; }
    public JobKind? Kind { get; init; }
    public required ErrorInfo Error { get; init; }
}

/// <summary>
/// Event: the client went away or asked to stop, or JobStatus gave up on the job (failed it with a timeout); the job ends
/// as canceled unless already final. Whoever runs the job stops it; whoever holds its credits releases them.
/// </summary>
public sealed record JobCanceled : IJobMessage
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public string? Reason { get; init; }
}

/// <summary>
/// Event for JobStatus: the outcomes of synchronous jobs, many per message. Each already went to its caller as the
/// response; JobStatus keeps the record (usage for the reservation sweeper, the job's place in its trace). An adapter
/// collects them for a few milliseconds and publishes them together, so a synchronous call does not cost a broker
/// message, a delivery and a consume of its own for a record nobody waits on.
/// </summary>
public sealed record SynchronousOutcomes
{
    public required IReadOnlyList<SynchronousOutcome> Outcomes { get; init; }
}

/// <summary>One synchronous job's outcome in <see cref="SynchronousOutcomes"/>: exactly one of the outcome fields is set.</summary>
public sealed record SynchronousOutcome
{
    /// <summary>A completed chat, without its choices (JobStatus records usage, never content).</summary>
    public ChatCompleted? Chat { get; init; }

    public SpeechSynthesized? Speech { get; init; }

    public ImageGenerated? Image { get; init; }

    public JobFailed? Failed { get; init; }

    /// <summary>The W3C traceparent of the adapter's span that ended the job, so JobStatus' span joins the job's trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The outcome that is set; null for a kind a newer adapter added that this reader does not know.</summary>
    public IJobMessage? Outcome() => (IJobMessage?)Chat ?? (IJobMessage?)Speech ?? (IJobMessage?)Image ?? Failed;
}
