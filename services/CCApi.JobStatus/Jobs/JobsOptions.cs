using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Jobs;

public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>How long a job record stays readable after its last change.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Jobs:Ttl must be between 1 minute and 30 days.")]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long the record of a job that arrived already finished stays — a synchronous chat or speech call, whose first
    /// event is its outcome. Its caller had the result in the response and no public route reads it; what reads it is the
    /// gateway's reservation sweeper (minutes after the call, <c>Credits:ReservationGrace</c>) and operators. At a
    /// thousand calls a second, a day of such records is ~60 GB of Redis; an hour is what they are needed for.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Jobs:SynchronousTtl must be between 1 minute and 30 days.")]
    public TimeSpan SynchronousTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A job still pending or processing this long after it was first seen is failed with a 504 timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Jobs:StuckAfter must be between 1 second and 1 day.")]
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the sweeper looks for stuck jobs.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Jobs:SweepInterval must be between 100 ms and 1 hour.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A job's status stream (GET /jobs/{id}/events) sends a heartbeat after this long without an event.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Jobs:EventsHeartbeat must be between 100 ms and 10 minutes.")]
    public TimeSpan EventsHeartbeat { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Checks <see cref="JobsOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class JobsOptionsValidator : IValidateOptions<JobsOptions>;
