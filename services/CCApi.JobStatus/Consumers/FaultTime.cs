using MassTransit;

namespace CCApi.JobStatus.Consumers;

internal static class FaultTime
{
    /// <summary>MassTransit stamps faults with a UTC <see cref="DateTime"/>.</summary>
    public static DateTimeOffset Of(Fault fault) => new(DateTime.SpecifyKind(fault.Timestamp, DateTimeKind.Utc));
}
