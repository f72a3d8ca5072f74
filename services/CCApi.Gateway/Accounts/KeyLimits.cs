namespace CCApi.Gateway.Accounts;

/// <summary>Per-key limits, enforced by <see cref="CCApi.Gateway.Limits.ModelAdmission"/> on the model routes; null = none.</summary>
public sealed record KeyLimits(int? Rpm = null, long? Tpm = null, int? Concurrency = null)
{
    public static readonly KeyLimits None = new();

    /// <summary>No limit at all: such a key (the bootstrap key) costs no rate-limit call in Redis.</summary>
    public bool IsEmpty => Rpm is null && Tpm is null && Concurrency is null;
}
