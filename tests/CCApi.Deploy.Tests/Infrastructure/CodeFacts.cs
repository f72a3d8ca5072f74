using System.Text.RegularExpressions;
using CCApi.Contracts;

namespace CCApi.Deploy.Tests.Infrastructure;

/// <summary>Facts the manifests must agree with, read from the code and from deploy/catalog.json.</summary>
public static partial class CodeFacts
{
    public const string MessagingOptionsFile = "shared/CCApi.Messaging/MessagingOptions.cs";

    public const string TelemetryOptionsFile = "shared/CCApi.ServiceDefaults/Telemetry.cs";

    /// <summary>The default Telemetry:MetricsPath: where every service serves its Prometheus scrape endpoint.</summary>
    public static string MetricsPath { get; } = ReadMetricsPath();

    /// <summary>The default Messaging:StopTimeout: how long a stopping process lets in-flight consumers finish.</summary>
    public static TimeSpan BusStopTimeout { get; } = ReadStopTimeout();

    /// <summary>What a provider does according to the catalog: one job kind per model type it offers.</summary>
    public static IReadOnlySet<JobKind> CatalogKinds(string provider)
    {
        using var json = System.Text.Json.JsonDocument.Parse(Repo.Read("deploy/catalog.json"));
        return json.RootElement.GetProperty("models").EnumerateArray()
            .Where(m => m.GetProperty("provider").GetString() == provider)
            .Select(m => m.GetProperty("type").GetString() switch
            {
                "chat" => JobKind.Chat,
                "image" => JobKind.Image,
                "audio" => JobKind.Speech,
                var other => throw new InvalidOperationException($"Unknown catalog model type '{other}' for provider {provider}."),
            })
            .ToHashSet();
    }

    /// <summary>The job kinds an adapter's code names a queue for (Queues.For(..., JobKind.X) / QueueAddress(..., JobKind.X)).</summary>
    public static IReadOnlySet<JobKind> ConsumedKinds(ServiceProject adapter) =>
        QueueForRegex().Matches(CodeIndex.For(adapter).OwnSource)
            .Select(m => Enum.Parse<JobKind>(m.Groups["kind"].Value))
            .ToHashSet();

    /// <summary>External programs a service starts: string options named *Path with a bare program name as default.</summary>
    public static IReadOnlyList<string> ExternalTools(ServiceProject service) =>
        ToolPathRegex().Matches(CodeIndex.For(service).OwnSource).Select(m => m.Groups["tool"].Value).Distinct().ToList();

    private static TimeSpan ReadStopTimeout()
    {
        var m = StopTimeoutRegex().Match(Repo.Read(MessagingOptionsFile));
        if (!m.Success)
        {
            throw new InvalidOperationException($"MessagingOptions.StopTimeout's default is no longer 'TimeSpan.FromSeconds(n)' in {MessagingOptionsFile}; update this test.");
        }

        return TimeSpan.FromSeconds(int.Parse(m.Groups["seconds"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string ReadMetricsPath()
    {
        var m = MetricsPathRegex().Match(Repo.Read(TelemetryOptionsFile));
        return m.Success
            ? m.Groups["path"].Value
            : throw new InvalidOperationException($"TelemetryOptions.MetricsPath's default is no longer a string literal in {TelemetryOptionsFile}; update this test.");
    }

    [GeneratedRegex(@"string\s+MetricsPath\s*\{\s*get;\s*set;\s*\}\s*=\s*""(?<path>/[^""]*)""")]
    private static partial Regex MetricsPathRegex();

    [GeneratedRegex(@"TimeSpan\s+StopTimeout\s*\{\s*get;\s*set;\s*\}\s*=\s*TimeSpan\.FromSeconds\((?<seconds>\d+)\)")]
    private static partial Regex StopTimeoutRegex();

    [GeneratedRegex(@"(?:Queues\.For|QueueAddress)\([^;]*?JobKind\.(?<kind>\w+)\)")]
    private static partial Regex QueueForRegex();

    [GeneratedRegex(@"public\s+string\??\s+\w+Path\s*\{\s*get;\s*(?:set|init);\s*\}\s*=\s*""(?<tool>[\w.+-]+)""")]
    private static partial Regex ToolPathRegex();
}
