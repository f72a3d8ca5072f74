using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CCApi.Testing;

/// <summary>One PromQL query of a provisioned dashboard panel.</summary>
public sealed record DashboardQuery(string Dashboard, string Panel, string Expr, string? DatasourceUid)
{
    /// <summary>The metric (sample) names the query reads, e.g. http_server_request_duration_seconds_bucket.</summary>
    public IReadOnlySet<string> Metrics => GrafanaDashboards.MetricNames(Expr);

    public override string ToString() => $"{Dashboard} / {Panel}: {Expr}";
}

/// <summary>
/// The Grafana dashboards provisioned from deploy/grafana/dashboards (docker-compose mounts that folder), read as JSON,
/// and the metric names their PromQL queries. Used by the deploy tests (shape, data source) and by the end-to-end
/// test that checks every queried metric is one the running services actually serve on /metrics.
/// </summary>
public static partial class GrafanaDashboards
{
    public const string Folder = "deploy/grafana/dashboards";

    /// <summary>
    /// Metrics the dashboards take from RabbitMQ's own exporter (the rabbitmq_prometheus plugin, per-object endpoint
    /// /metrics/per-object, labels vhost and queue), not from CCAPI code: queue depth per adapter queue.
    /// </summary>
    public static readonly IReadOnlySet<string> RabbitMqExporterMetrics = new HashSet<string>(StringComparer.Ordinal)
    {
        "rabbitmq_queue_messages_ready",
        "rabbitmq_queue_messages_unacked",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan", "atan2",
    };

    /// <summary>Every dashboard JSON file under <see cref="Folder"/>.</summary>
    public static IReadOnlyList<string> Files(string repoRoot) =>
        Directory.GetFiles(Path.Combine(repoRoot, Folder), "*.json").Order(StringComparer.Ordinal).ToList();

    /// <summary>Every panel query (rows' nested panels included) of every provisioned dashboard.</summary>
    public static IReadOnlyList<DashboardQuery> Queries(string repoRoot) => Files(repoRoot).SelectMany(file =>
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(file))!;
        var title = (string?)dashboard["title"] ?? Path.GetFileName(file);
        return Panels(dashboard["panels"]?.AsArray()).SelectMany(panel => (panel["targets"]?.AsArray() ?? []).Select(target => new DashboardQuery(
            title,
            (string?)panel["title"] ?? "(untitled)",
            (string?)target!["expr"] ?? "",
            (string?)target["datasource"]?["uid"] ?? (string?)panel["datasource"]?["uid"])));
    }).ToList();

    /// <summary>The panels of a dashboard or row, depth first (a collapsed row keeps its panels inside it).</summary>
    public static IEnumerable<JsonNode> Panels(JsonArray? panels)
    {
        foreach (var panel in panels ?? [])
        {
            if (panel is null)
            {
                continue;
            }

            yield return panel;
            foreach (var nested in Panels(panel["panels"]?.AsArray()))
            {
                yield return nested;
            }
        }
    }

    /// <summary>
    /// Metric names in a PromQL expression: the identifiers left once string literals, label matchers, range and
    /// subquery brackets and grouping label lists are removed, that are neither function calls nor keywords.
    /// Grafana variables ($__rate_interval, $service) only occur inside the removed parts.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var text = StringLiteral().Replace(expr, "\"\"");
        text = LabelMatchers().Replace(text, " ");
        text = Brackets().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return Identifier().Matches(text)
            .Where(m => !Keywords.Contains(m.Value))
            .Select(m => m.Value)
            .ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w$.:])(?>[a-zA-Z_:][a-zA-Z0-9_:]*)(?!\s*\()")]
    private static partial Regex Identifier();
}
