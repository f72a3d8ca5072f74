using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Idempotency;

/// <summary><c>Idempotency-Key</c> handling (see <see cref="IdempotencyEndpointFilter"/>).</summary>
public sealed class IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>How long a saved response is replayed for the same key, counted from when it was saved (Stripe: 24 h).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Added to <c>Messaging:RequestTimeout</c> to make the in-flight lease: a gateway that dies mid-request blocks its
    /// key for at most that long (then the key can be used again), never for the whole retention.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan InFlightMargin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest response body saved for replay (a streamed chat counts its whole event stream). A larger response
    /// still reaches the client in full; a later retry with the same key then gets 409
    /// <c>idempotency_response_unavailable</c> (the request is not executed twice).
    /// </summary>
    [Range(0, 64 * 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 4 * 1024 * 1024;
}

/// <summary>Checks <see cref="IdempotencyOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class IdempotencyOptionsValidator : IValidateOptions<IdempotencyOptions>;
