using System.Text.Json;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Adapters.Local.Hosting;

/// <summary>
/// How a job ends, the same way for every consumer: a synchronous caller (the command came as a request) gets the
/// outcome as the response, and the outcome is ALWAYS published too, for JobStatus.
/// </summary>
public static class JobOutcomes
{
    public static async Task FinishAsync<T>(ConsumeContext context, T outcome)
        where T : class
    {
        if (context.ResponseAddress is not null)
        {
            await context.RespondAsync(outcome);
        }

        await context.Publish(outcome, context.CancellationToken);
    }

    public static JobFailed Failed(IJobMessage command, JobRoute route, JobKind kind, ErrorInfo error) => new()
    {
        JobId = command.JobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = route,
        Kind = kind,
        Error = error,
    };

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

    public static bool IsPastDeadline(DateTimeOffset? deadline) => deadline is { } d && d <= DateTimeOffset.UtcNow;

    /// <summary>Cost at the catalog price carried by the command: per million tokens, per image, per character.</summary>
    public static Usage Price(JobRoute route, int promptTokens = 0, int completionTokens = 0, int images = 0, int characters = 0)
    {
        var pricing = route.Pricing;
        var cost = (promptTokens * (pricing?.InputPerMillion ?? 0m) / 1_000_000m)
            + (completionTokens * (pricing?.OutputPerMillion ?? 0m) / 1_000_000m)
            + (images * (pricing?.PerImage ?? 0m))
            + (characters * (pricing?.PerCharacter ?? 0m));
        return new Usage
        {
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            TotalTokens = promptTokens + completionTokens,
            Images = images,
            Characters = characters,
            Cost = cost,
            Currency = pricing?.Currency ?? "USD",
        };
    }
}
