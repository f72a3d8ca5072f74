using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Storage;

public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    /// <summary>StackExchange.Redis configuration string; also read from ConnectionStrings:Redis.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Redis is required.")]
    public string? ConnectionString { get; set; }

    /// <summary>How long generated images and audio stay fetchable.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan BlobTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The largest blob (a generated image or audio file, an uploaded input image) the store accepts; a larger one fails
    /// its job with 400 result_too_large instead of filling Redis (a 40k-character WAV was ~100 MB).
    /// </summary>
    [Range(1024L, 1024L * 1024 * 1024, ErrorMessage = "Redis:MaxBlobBytes must be between 1 KiB and 1 GiB.")]
    public long MaxBlobBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// How long a streaming chat's chunks and record stay readable (for resumption with Last-Event-ID). Unless set, it is
    /// <c>Jobs:Ttl</c> (default 24 h), so a chat stream lives as long as a job record.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "30.00:00:00")]
    public TimeSpan StreamTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A client span per Redis command (OpenTelemetry's StackExchange.Redis instrumentation), for debugging. Off by
    /// default: measured side by side it added ~0.1 ms p50 at one connection and 24-34 MiB of JobStatus RSS
    /// (bench/results/2026-12-04-after-redis3-otel-hosting*.md).
    /// </summary>
    public bool Tracing { get; set; }
}

/// <summary>Checks <see cref="RedisOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class RedisOptionsValidator : IValidateOptions<RedisOptions>;
