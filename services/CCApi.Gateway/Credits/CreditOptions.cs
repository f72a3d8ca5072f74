using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Credits;

/// <summary>Credit reservations and settlement (keys with <c>credits_usd</c>; unlimited keys reserve nothing).</summary>
public sealed class CreditOptions
{
    public const string SectionName = "Credits";

    /// <summary>
    /// How long past a synchronous job's deadline its reservation is kept when nothing settles it (a gateway killed
    /// mid-request): then the sweeper releases it. Keep it above the longest stream.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Credits:ReservationGrace must be between 1 s and 1 day.")]
    public TimeSpan ReservationGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an asynchronous job (images on an async provider) may hold its reservation before the sweeper releases it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Credits:AsyncJobHold must be between 1 s and 7 days.")]
    public TimeSpan AsyncJobHold { get; set; } = TimeSpan.FromHours(2);

    /// <summary>The output tokens a chat request reserves for when it gives no max_tokens and the catalog no maximum.</summary>
    [Range(1, 10_000_000, ErrorMessage = "Credits:DefaultMaxOutputTokens must be between 1 and 10,000,000.")]
    public int DefaultMaxOutputTokens { get; set; } = 4096;

    /// <summary>How often one replica releases expired reservations.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Credits:SweepInterval must be between 1 s and 1 h.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long credit changes in the ledger and the hourly usage rollups are kept (a day of rollups expires this long
    /// after the day; older ledger entries are trimmed as credit changes are written). Usage reports cover at most this
    /// far back.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00", ErrorMessage = "Credits:LedgerRetention must be between 1 and 3650 days.")]
    public TimeSpan LedgerRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>
    /// How long the per-job usage entries of the ledger are kept (trimmed as new ones are written). Each takes ~120 bytes
    /// of Redis, one per request; usage reports do not need them past a partial hour at either end of their window, so
    /// they can be kept far shorter than <see cref="LedgerRetention"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00", ErrorMessage = "Credits:UsageEntryRetention must be between 1 and 3650 days.")]
    public TimeSpan UsageEntryRetention { get; set; } = TimeSpan.FromDays(35);

    /// <summary>How long a settled job id is remembered, so a redelivered terminal event is not settled twice.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Credits:SettledJobTtl must be between 1 min and 30 days.")]
    public TimeSpan SettledJobTtl { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>Checks <see cref="CreditOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class CreditOptionsValidator : IValidateOptions<CreditOptions>;
