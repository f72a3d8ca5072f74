using System.ComponentModel.DataAnnotations;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.OperatorConsole;

/// <summary>The operator console at /console and the traffic figures behind its Overview.</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>Serve the console's page at /console (it still needs the admin key to show anything).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often each replica adds its request counts to Redis (the Overview's lag behind other replicas).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan StatisticsFlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one minute of traffic figures is kept in Redis; the Overview can look back this far (at most 24 h).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan StatisticsRetention { get; set; } = TimeSpan.FromHours(25);
}

/// <summary>Checks <see cref="ConsoleOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class ConsoleOptionsValidator : IValidateOptions<ConsoleOptions>;

public static class OperatorConsoleRegistration
{
    /// <summary>Console options (validated at start) and the traffic counters behind its Overview.</summary>
    public static IHostApplicationBuilder AddOperatorConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName).ValidateAttributes(new ConsoleOptionsValidator()).ValidateOnStart();
        builder.Services.AddSingleton<TrafficStatistics>();
        builder.Services.AddHostedService<TrafficStatisticsFlusher>();
        return builder;
    }
}
