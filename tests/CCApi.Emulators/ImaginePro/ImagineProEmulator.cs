using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;

namespace CCApi.Emulators.ImaginePro;

/// <summary>One step of an emulated job as the fetch endpoint reports it: status QUEUED/PROCESSING/DONE/FAIL and progress.</summary>
public sealed record ImagineProStep(string Status, int Progress, string? Error = null);

/// <summary>
/// ImaginePro's documented wire protocol (asynchronous): POST /api/v1/universal/imagine submits a Nano Banana job and answers
/// <c>{"success":true,"messageId","createdAt"}</c>; GET /api/v1/message/fetch/{messageId} reports
/// <c>{messageId, prompt, status, progress, uri, error, …}</c>. Each successful fetch moves the job one step along
/// <see cref="Progression"/> (default QUEUED 0 → PROCESSING 30 → 60 → 90 → DONE), so a test sees progress rise over several
/// polls without any timing; the DONE image is a real PNG served by the emulator at /storage/{messageId}.png. Prompts
/// containing <see cref="FailPrompt"/> end in FAIL, prompts containing <see cref="BlockedPrompt"/> end in a moderation FAIL.
/// Checks "Authorization: Bearer &lt;key&gt;"; errors are NestJS-style <c>{"statusCode","message","error"}</c>.
/// </summary>
public sealed class ImagineProEmulator(string apiKey = ImagineProEmulator.DefaultApiKey) : Emulator(apiKey)
{
    public const string DefaultApiKey = "imaginepro-emulator-0123456789";
    public const string SubmitPath = "/api/v1/universal/imagine";
    public const string FetchPathPrefix = "/api/v1/message/fetch/";
    public const string StoragePathPrefix = "/storage/";

    /// <summary>A prompt containing this ends in status FAIL with a generation error.</summary>
    public const string FailPrompt = "fail-generation";

    /// <summary>A prompt containing this ends in status FAIL with a content-moderation error.</summary>
    public const string BlockedPrompt = "blocked-content";

    public const string GenerationError = "Image generation failed: the upstream model returned no image.";
    public const string ModerationError = "Request blocked by content moderation: the prompt contains banned words.";

    public static readonly IReadOnlyList<ImagineProStep> DefaultProgression =
    [
        new("QUEUED", 0),
        new("PROCESSING", 30),
        new("PROCESSING", 60),
        new("PROCESSING", 90),
        new("DONE", 100),
    ];

    private volatile IReadOnlyList<ImagineProStep> _progression = DefaultProgression;

    /// <summary>The ImaginePro base URL an adapter is configured with (paths start with /api/v1).</summary>
    public override string BaseUrl => Origin;

    /// <summary>The steps every new job goes through, one per successful fetch; the last one stays.</summary>
    public IReadOnlyList<ImagineProStep> Progression
    {
        get => _progression;
        set => _progression = value is { Count: > 0 } ? value : throw new ArgumentException("A progression needs at least one step.", nameof(value));
    }

    /// <summary>While true, jobs do not advance: every fetch reports the job's current step again.</summary>
    public bool Paused { get; set; }

    /// <summary>While true, queued failure modes hit only the polls (message fetches), never the submission.</summary>
    public bool FailPollsOnly { get; set; }

    /// <summary>While true, submissions are answered with a message id the fetch endpoint then does not know (404).</summary>
    public bool ForgetJobsOnSubmit { get; set; }

    /// <summary>Report progress as a string ("60"), as the API reference's schema types it, instead of a number.</summary>
    public bool ProgressAsString { get; set; }

    internal ConcurrentDictionary<string, EmulatedJob> Jobs { get; } = new();

    /// <summary>The message ids handed out, in no particular order.</summary>
    public IReadOnlyCollection<string> MessageIds => [.. Jobs.Keys];

    public int Submits => Count(SubmitPath);

    public int Fetches(string messageId) => Count(FetchPathPrefix + messageId);

    public int AllFetches => Requests.Count(r => r.Path.StartsWith(FetchPathPrefix, StringComparison.Ordinal));

    /// <summary>Result images downloaded from the emulator's "CDN" (/storage/{messageId}.png).</summary>
    public int Downloads => Requests.Count(r => r.Path.StartsWith(StoragePathPrefix, StringComparison.Ordinal));

    public static Task<ImagineProEmulator> StartAsync(string apiKey = DefaultApiKey, int port = 0) => StartAsync(new ImagineProEmulator(apiKey), port);

    public override void Reset()
    {
        base.Reset();
        Jobs.Clear();
        Paused = false;
        FailPollsOnly = false;
        ProgressAsString = false;
        ForgetJobsOnSubmit = false;
        _progression = DefaultProgression;
    }

    protected override void MapEndpoints(WebApplication app)
    {
        var endpoints = new ImagineProEndpoints(this);
        app.MapPost(SubmitPath, endpoints.SubmitAsync);
        app.MapGet(FetchPathPrefix + "{messageId}", endpoints.FetchAsync);
        app.MapGet(StoragePathPrefix + "{name}", endpoints.Image);
    }

    /// <summary>A submitted job: what was asked, and where along its steps it is.</summary>
    internal sealed class EmulatedJob(string id, string prompt, string? reference, IReadOnlyList<ImagineProStep> steps)
    {
        private readonly Lock _gate = new();
        private int _step;

        public string Id { get; } = id;

        public string Prompt { get; } = prompt;

        public string? Ref { get; } = reference;

        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

        public DateTimeOffset UpdatedAt { get; private set; } = DateTimeOffset.UtcNow;

        /// <summary>The step to report now; then moves on unless <paramref name="paused"/> or already at the end.</summary>
        public ImagineProStep Observe(bool paused)
        {
            lock (_gate)
            {
                var current = steps[_step];
                if (!paused && _step < steps.Count - 1)
                {
                    _step++;
                    UpdatedAt = DateTimeOffset.UtcNow;
                }

                return current;
            }
        }
    }
}
