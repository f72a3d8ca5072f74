using System.ComponentModel.DataAnnotations;
using CCApi.Adapters.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ImaginePro;

/// <summary>
/// Configuration of the ImaginePro adapter (section "ImaginePro"), validated at start. The API key also comes from
/// IMAGINEPRO_API_KEY and the base URL from IMAGINEPRO_BASE_URL. ImaginePro is asynchronous: a job is submitted, then
/// polled with a growing interval (<see cref="PollInitialInterval"/> × <see cref="PollBackoffFactor"/> up to
/// <see cref="PollMaxInterval"/>) until it is done, failed, or <see cref="MaxPollDuration"/> has passed since submission.
/// </summary>
public sealed class ImagineProAdapterOptions : UpstreamAdapterOptions
{
    public const string SectionName = "ImaginePro";
    public const string ApiKeyVariable = "IMAGINEPRO_API_KEY";
    public const string BaseUrlVariable = "IMAGINEPRO_BASE_URL";

    /// <summary>The public API origin (the SDKs' default); request paths start with /api/v1.</summary>
    public const string PublicBaseUrl = "https://api.imaginepro.ai";

    public ImagineProAdapterOptions()
        : base("imaginepro", PublicBaseUrl)
    {
        RequestTimeout = TimeSpan.FromSeconds(30); // one submit or one poll; the generation itself is bounded by MaxPollDuration
    }

    /// <summary>Wait before the first poll after the job is submitted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInitialInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between two polls.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan PollMaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Each wait is the previous one times this (1 = a fixed interval).</summary>
    [Range(1.0, 4.0)]
    public double PollBackoffFactor { get; set; } = 1.5;

    /// <summary>
    /// How long after submission the adapter keeps polling before the job fails with 504 (also sent to ImaginePro as the
    /// job's own timeout). Keep it below JobStatus' Jobs:StuckAfter (10 min), which fails jobs nobody finished.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan MaxPollDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Poll rounds in a row that may fail (429, 5xx, timeouts, malformed answers — each already retried by the upstream
    /// pipeline) before the job fails: the paid-for generation is still running, so one bad poll must not lose it.
    /// </summary>
    [Range(1, 20)]
    public int MaxConsecutivePollFailures { get; set; } = 3;
}

/// <summary>Checks <see cref="ImagineProAdapterOptions"/>'s attributes (its base classes' too) at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class ImagineProAdapterOptionsValidator : IValidateOptions<ImagineProAdapterOptions>;
