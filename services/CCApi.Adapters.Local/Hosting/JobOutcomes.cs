using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Local.Hosting;

/// <summary>
/// The local provider's own failure errors. How a job ends (respond + publish), deadlines and pricing are the same in
/// every adapter: <see cref="CCApi.Adapters.Hosting.AdapterOutcomes"/> and <see cref="CCApi.Adapters.Hosting.UsagePricing"/>.
/// </summary>
public static class JobOutcomes
{
    /// <summary>502 provider_error: the local provider itself failed (a tool missing or crashing).</summary>
    public static ErrorInfo ProviderError(string message) => new()
    {
        Status = 502,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderError,
        Message = message,
    };

    /// <summary>504 provider_timeout: the edge stopped waiting before the job could start.</summary>
    public static ErrorInfo DeadlinePassed() => new()
    {
        Status = 504,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderTimeout,
        Message = "The request's deadline passed before the local provider could start it.",
    };
}
