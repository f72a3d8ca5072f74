using System.Globalization;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.JobStatus.Jobs;

/// <summary>
/// One write to a job record, as the Lua script applies it (see <see cref="JobStore"/>): a state to move to (ignored
/// unless it raises the rank and the job is not yet terminal), a progress value (ignored unless higher), identity fields
/// (<see cref="Overwrite"/> always, <see cref="Fill"/> only where absent) and result fields written only together with
/// the transition to a terminal state — so the first terminal event's result is the one that stays.
/// </summary>
public sealed record JobChange
{
    public required Guid JobId { get; init; }

    /// <summary>What caused the change ("ImageGenerated", "Fault&lt;Speech&gt;", "Sweeper"), for traces and logs.</summary>
    public required string Cause { get; init; }

    /// <summary>When the event happened; becomes <c>created</c> when this change creates the record.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    public JobState? Target { get; init; }
    public int? Progress { get; init; }

    /// <summary>False for the sweeper: a record that expired must not be re-created just to be failed.</summary>
    public bool MayCreate { get; init; } = true;

    public IReadOnlyList<KeyValuePair<string, string>> Overwrite { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Fill { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Result { get; init; } = [];

    public bool IsTerminal => Target is { } target && JobStates.IsTerminal(target);
}

/// <summary>Hash field names of a job record (its webhook delivery fields: <see cref="Webhooks.WebhookFields"/>).</summary>
public static class JobFields
{
    public const string State = CCApi.Storage.RedisKeys.JobStateField;
    public const string OwnerId = "owner_id";
    public const string Kind = "kind";
    public const string Mode = "mode";
    public const string Model = "model";
    public const string Provider = "provider";
    public const string Operation = "operation";
    public const string WebhookUrl = "webhook_url";
    public const string ResponseFormat = "response_format";
    public const string EstimatedSeconds = "estimated_seconds";
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Progress = "progress";
    public const string Images = "images";
    public const string RevisedPrompt = "revised_prompt";
    public const string Usage = "usage";
    public const string Error = "error";
}

/// <summary>How each bus message changes a job. Pure: the consumers apply what these return.</summary>
public static class JobChanges
{
    /// <summary>
    /// The change a job event makes: the one mapping <see cref="Consumers.JobEventConsumer{TEvent}"/> applies for every
    /// event type it is registered for.
    /// </summary>
    public static JobChange Of(object jobEvent) => jobEvent switch
    {
        JobStarted m => Started(m),
        JobProgressed m => Progressed(m),
        Contracts.ImageGenerated m => ImageGenerated(m),
        Contracts.ChatCompleted m => ChatCompleted(m),
        Contracts.SpeechSynthesized m => SpeechSynthesized(m),
        JobFailed m => Failed(m),
        JobCanceled m => Canceled(m),
        _ => throw new NotSupportedException($"No job change is known for the event {jobEvent.GetType().Name}."),
    };

    /// <summary>The gateway registers an async job before answering 202: its facts are authoritative.</summary>
    public static JobChange Registered(RegisterJob m)
    {
        var fields = new Fields()
            .Add(JobFields.OwnerId, m.Route.OwnerId)
            .Add(JobFields.Model, m.Route.Model)
            .Add(JobFields.Provider, m.Route.Provider)
            .Add(JobFields.Kind, KindName(m.Kind))
            .Add(JobFields.Mode, m.Mode)
            .Add(JobFields.Operation, m.Operation)
            .Add(JobFields.WebhookUrl, m.WebhookUrl)
            .Add(JobFields.ResponseFormat, m.ResponseFormat)
            .Add(JobFields.EstimatedSeconds, m.EstimatedSeconds?.ToString("R", CultureInfo.InvariantCulture));
        return new JobChange { JobId = m.JobId, Cause = nameof(RegisterJob), Timestamp = m.Timestamp, Target = JobState.Pending, Overwrite = fields };
    }

    public static JobChange Started(JobStarted m) => new()
    {
        JobId = m.JobId,
        Cause = nameof(JobStarted),
        Timestamp = m.Timestamp,
        Target = JobState.Processing,
        Fill = Identity(m.Route, m.Kind),
    };

    /// <summary>Progress means the job is running, so it also moves a pending job to processing.</summary>
    public static JobChange Progressed(JobProgressed m) => new()
    {
        JobId = m.JobId,
        Cause = nameof(JobProgressed),
        Timestamp = m.Timestamp,
        Target = JobState.Processing,
        Progress = Math.Clamp(m.Percent, 0, 100),
        Fill = new Fields().Add(JobFields.Mode, "sync"),
    };

    public static JobChange ImageGenerated(ImageGenerated m) => new()
    {
        JobId = m.JobId,
        Cause = nameof(Contracts.ImageGenerated),
        Timestamp = m.Timestamp,
        Target = JobState.Completed,
        Fill = Identity(m.Route, JobKind.Image).Add(JobFields.Operation, m.Operation),
        Result = new Fields()
            .Add(JobFields.Images, JsonSerializer.Serialize(m.Images, JobStatusJsonContext.Default.IReadOnlyListGeneratedImage))
            .Add(JobFields.RevisedPrompt, m.RevisedPrompt)
            .Add(JobFields.Usage, Json(m.Usage)),
    };

    public static JobChange ChatCompleted(ChatCompleted m) => Completed(nameof(Contracts.ChatCompleted), m.JobId, m.Timestamp, m.Route, JobKind.Chat, m.Usage);

    public static JobChange SpeechSynthesized(SpeechSynthesized m) => Completed(nameof(Contracts.SpeechSynthesized), m.JobId, m.Timestamp, m.Route, JobKind.Speech, m.Usage);

    public static JobChange Failed(JobFailed m) => Failed(nameof(JobFailed), m.JobId, m.Timestamp, m.Route, m.Kind, m.Error);

    public static JobChange Canceled(JobCanceled m) => new()
    {
        JobId = m.JobId,
        Cause = nameof(JobCanceled),
        Timestamp = m.Timestamp,
        Target = JobState.Canceled,
        Fill = new Fields().Add(JobFields.Mode, "sync"),
        Result = new Fields().Add(JobFields.Error, Json(new ErrorInfo
        {
            Status = 499, // client closed request
            Type = ErrorTypes.InvalidRequest,
            Code = ErrorCodes.Canceled,
            Message = string.IsNullOrWhiteSpace(m.Reason) ? "The job was canceled." : m.Reason,
        })),
    };

    /// <summary>
    /// A command that MassTransit gave up on (the adapter threw past its retries): the job failed upstream. The
    /// exception is not echoed — its message and stack trace are internal.
    /// </summary>
    public static JobChange Faulted(string command, Guid jobId, DateTimeOffset timestamp, JobRoute route, JobKind kind, bool? async = null, string? operation = null)
    {
        var change = Failed($"Fault<{command}>", jobId, timestamp, route, kind, new ErrorInfo
        {
            Status = 502,
            Type = ErrorTypes.Api,
            Code = ErrorCodes.ProviderError,
            Message = "The provider adapter failed to process the job.",
        });
        var fill = new Fields(change.Fill).Add(JobFields.Operation, operation);
        if (async is { } isAsync)
        {
            fill.Insert(0, new(JobFields.Mode, isAsync ? "async" : "sync")); // before Identity's "sync" default
        }

        return change with { Fill = fill };
    }

    /// <summary>The sweeper's verdict on a job that never finished.</summary>
    public static JobChange TimedOut(Guid jobId, DateTimeOffset now, TimeSpan stuckAfter) => new()
    {
        JobId = jobId,
        Cause = "Sweeper",
        Timestamp = now,
        Target = JobState.Failed,
        MayCreate = false,
        Result = new Fields().Add(JobFields.Error, Json(new ErrorInfo
        {
            Status = 504,
            Type = ErrorTypes.Api,
            Code = ErrorCodes.Timeout,
            Message = $"The job did not finish within {stuckAfter.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s.",
        })),
    };

    private static JobChange Completed(string cause, Guid jobId, DateTimeOffset timestamp, JobRoute route, JobKind kind, Usage usage) =>
        Terminal(cause, jobId, timestamp, route, kind, JobState.Completed, JobFields.Usage, Json(usage));

    private static JobChange Failed(string cause, Guid jobId, DateTimeOffset timestamp, JobRoute? route, JobKind? kind, ErrorInfo error) =>
        Terminal(cause, jobId, timestamp, route, kind, JobState.Failed, JobFields.Error, Json(error));

    /// <summary>An event that ends the job: its identity fills gaps, and its one result field is written with the transition.</summary>
    private static JobChange Terminal(string cause, Guid jobId, DateTimeOffset timestamp, JobRoute? route, JobKind? kind, JobState target, string resultField, string resultJson) => new()
    {
        JobId = jobId,
        Cause = cause,
        Timestamp = timestamp,
        Target = target,
        Fill = Identity(route, kind),
        Result = new Fields().Add(resultField, resultJson),
    };

    /// <summary>
    /// Who and what, from an event: only fills gaps. Sync jobs are never registered, so the first event creates their
    /// record; "sync" is the default mode because an async job is always registered (as "async") before any event.
    /// </summary>
    private static Fields Identity(JobRoute? route, JobKind? kind) => new Fields()
        .Add(JobFields.OwnerId, route?.OwnerId)
        .Add(JobFields.Model, route?.Model)
        .Add(JobFields.Provider, route?.Provider)
        .Add(JobFields.Kind, kind is { } k ? KindName(k) : null)
        .Add(JobFields.Mode, "sync");

    private static string KindName(JobKind kind) => kind switch
    {
        JobKind.Chat => "chat",
        JobKind.Image => "image",
        JobKind.Speech => "speech",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string Json(Usage usage) => JsonSerializer.Serialize(usage, JobStatusJsonContext.Default.Usage);

    private static string Json(ErrorInfo error) => JsonSerializer.Serialize(error, JobStatusJsonContext.Default.ErrorInfo);

    /// <summary>Field/value pairs; null values are skipped.</summary>
    private sealed class Fields : List<KeyValuePair<string, string>>
    {
        public Fields()
        {
        }

        public Fields(IEnumerable<KeyValuePair<string, string>> pairs)
            : base(pairs)
        {
        }

        public Fields Add(string field, string? value)
        {
            if (value is not null)
            {
                Add(new KeyValuePair<string, string>(field, value));
            }

            return this;
        }
    }
}
