using System.Text.Json.Nodes;
using CCApi.Contracts;
using CCApi.Deploy.Tests.Infrastructure;
using CCApi.Testing;

namespace CCApi.Deploy.Tests;

/// <summary>
/// Metrics collection as deployed: compose's Prometheus scrapes every service and RabbitMQ's queues, Grafana is
/// provisioned with that Prometheus and the dashboards, and in Kubernetes every pod is scraped on the path the code
/// serves (Telemetry:MetricsPath).
/// </summary>
public sealed class MonitoringTests
{
    private const string PrometheusService = "prometheus";
    private const string GrafanaService = "grafana";
    private const string RabbitMqService = "rabbitmq";

    public static TheoryData<string> ServiceProjects => new(Repo.Services.Select(s => s.Project));

    public static TheoryData<string> OverlayNames => new(K8s.Overlays.Select(o => o.Name));

    private static Dictionary<string, object?> PrometheusConfig => Yaml.Load(MountedFile(PrometheusService, "/etc/prometheus/prometheus.yml"));

    /// <summary>(job, metrics path, host:port) of every static target in compose's prometheus.yml.</summary>
    private static IEnumerable<(string Job, string Path, string Target)> ScrapeTargets() =>
        PrometheusConfig.Maps("scrape_configs").SelectMany(job => job.Maps("static_configs")
            .SelectMany(c => c.List("targets").OfType<string>())
            .Select(target => (job.Str("job_name")!, job.Str("metrics_path") ?? "/metrics", target)));

    /// <summary>The repository file a compose service bind-mounts at <paramref name="containerPath"/>.</summary>
    private static string MountedFile(string service, string containerPath)
    {
        var mount = Compose.Services[service].List("volumes").OfType<string>()
            .SingleOrDefault(v => v.StartsWith("./", StringComparison.Ordinal) && v.Split(':')[1] == containerPath);
        mount.ShouldNotBeNull($"compose service {service} mounts nothing from the repository at {containerPath}");
        return mount.Split(':')[0][2..];
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Compose_prometheus_scrapes_the_service_on_its_container_port_and_the_codes_metrics_path(string project)
    {
        var name = Repo.Service(project).Name;
        Compose.BuiltProjects.Keys.ShouldContain(name);
        ScrapeTargets().Where(t => t.Target == $"{name}:8080").Select(t => t.Path)
            .ShouldBe([CodeFacts.MetricsPath], $"scrape jobs of {name}:8080 in {MountedFile(PrometheusService, "/etc/prometheus/prometheus.yml")}");
    }

    [Fact]
    public void Compose_prometheus_scrapes_only_compose_services()
    {
        ScrapeTargets().Select(t => t.Target.Split(':')[0]).Where(host => !Compose.Services.ContainsKey(host)).ShouldBeEmpty();
    }

    [Fact]
    public void Compose_prometheus_reads_per_queue_depth_from_the_rabbitmq_prometheus_plugin()
    {
        // The plugin's default /metrics sums all queues into one series; /metrics/per-object has one per queue.
        ScrapeTargets().Where(t => t.Target == $"{RabbitMqService}:15692").Select(t => t.Path).ShouldBe(["/metrics/per-object"]);
        var plugins = Repo.Read(MountedFile(RabbitMqService, "/etc/rabbitmq/enabled_plugins"));
        plugins.ShouldContain("rabbitmq_prometheus");
        plugins.ShouldContain("rabbitmq_management"); // the management image's UI stays on
        Compose.Services[RabbitMqService].Str("image")!.ShouldContain("-management");
    }

    [Fact]
    public void Grafana_and_prometheus_are_pinned_published_on_loopback_and_health_checked()
    {
        foreach (var (service, port) in new[] { (PrometheusService, 9090), (GrafanaService, 3000) })
        {
            var spec = Compose.Services[service];
            var image = spec.Str("image")!;
            image.ShouldContain(':');
            image.ShouldNotEndWith(":latest");
            spec.List("ports").OfType<string>().ShouldBe([$"127.0.0.1:{port}:{port}"]);
            spec.List("healthcheck", "test").OfType<string>().ShouldContain(a => a.Contains($":{port}/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Grafana_is_provisioned_with_the_compose_prometheus_and_the_dashboard_folder()
    {
        var datasources = Yaml.Load(MountedFile(GrafanaService, "/etc/grafana/provisioning") + "/datasources/prometheus.yaml").Maps("datasources").ToList();
        var prometheus = datasources.Single(d => d.Str("type") == "prometheus");
        var url = new Uri(prometheus.Str("url")!);
        url.Host.ShouldBe(PrometheusService);
        url.Port.ShouldBe(9090);

        var providers = Yaml.Load(MountedFile(GrafanaService, "/etc/grafana/provisioning") + "/dashboards/ccapi.yaml").Maps("providers").ToList();
        var path = providers.Single().Str("options", "path")!;
        MountedFile(GrafanaService, path).ShouldBe(GrafanaDashboards.Folder);

        // Every query goes to that data source.
        var queries = GrafanaDashboards.Queries(Repo.Root);
        queries.ShouldNotBeEmpty();
        queries.Where(q => q.DatasourceUid != prometheus.Str("uid")).Select(q => q.ToString()).ShouldBeEmpty();
    }

    [Fact]
    public void Ccapi_dashboard_has_the_panels_an_operator_needs()
    {
        var file = GrafanaDashboards.Files(Repo.Root).SingleOrDefault(f => (string?)JsonNode.Parse(File.ReadAllText(f))!["title"] == "CCAPI");
        file.ShouldNotBeNull($"no dashboard titled CCAPI in {GrafanaDashboards.Folder}");
        var metrics = GrafanaDashboards.Queries(Repo.Root).Where(q => q.Dashboard == "CCAPI").SelectMany(q => q.Metrics).ToHashSet();

        // Issue 7: requests and errors by route, p50/p95/p99, gateway overhead, tokens and cost by model, queue depth
        // per adapter, provider status; plus time to first token, queue wait and job states.
        metrics.ShouldContain("http_server_request_duration_seconds_count");
        metrics.ShouldContain("http_server_request_duration_seconds_bucket");
        metrics.ShouldContain("ccapi_gateway_overhead_seconds_bucket");
        metrics.ShouldContain("gen_ai_client_token_usage_sum");
        metrics.ShouldContain("ccapi_cost_USD_total"); // unit "USD" is appended as written
        metrics.ShouldContain("ccapi_provider_status");
        metrics.ShouldContain("gen_ai_server_time_to_first_token_seconds_bucket");
        metrics.ShouldContain("ccapi_queue_wait_seconds_bucket");
        metrics.ShouldContain("ccapi_jobs_total");
        metrics.ShouldContain("rabbitmq_queue_messages_ready");
    }

    [Fact]
    public void The_queue_depth_panels_select_every_queue_an_adapter_consumes()
    {
        var queues = new[] { "local", "openai" }
            .SelectMany(p => new[] { Queues.For(p, JobKind.Chat), Queues.For(p, JobKind.Image), Queues.ForAsyncImages(p), Queues.For(p, JobKind.Speech) })
            .ToList();
        var selectors = GrafanaDashboards.Queries(Repo.Root)
            .Where(q => q.Metrics.Any(m => m.StartsWith("rabbitmq_queue_messages", StringComparison.Ordinal)))
            .Select(q => (Query: q, Match: System.Text.RegularExpressions.Regex.Match(q.Expr, @"queue=~""(?<re>[^""]+)""")))
            .ToList();
        selectors.ShouldNotBeEmpty();
        foreach (var (query, match) in selectors)
        {
            match.Success.ShouldBeTrue($"no queue=~ selector in {query}");
            var selector = new System.Text.RegularExpressions.Regex($"^(?:{match.Groups["re"].Value})$"); // PromQL regexes are anchored
            queues.Where(q => !selector.IsMatch(q)).ShouldBeEmpty($"{query} leaves these queues out");
            selector.IsMatch("jobstatus").ShouldBeFalse($"{query} selects the platform's own queues too");
        }
    }

    [Fact]
    public void Every_dashboard_query_reads_at_least_one_metric_and_rabbitmq_ones_are_the_documented_exporter_metrics()
    {
        var problems = new List<string>();
        foreach (var query in GrafanaDashboards.Queries(Repo.Root))
        {
            if (query.Metrics.Count == 0)
            {
                problems.Add($"reads no metric: {query}");
            }

            problems.AddRange(query.Metrics
                .Where(m => m.StartsWith("rabbitmq_", StringComparison.Ordinal) && !GrafanaDashboards.RabbitMqExporterMetrics.Contains(m))
                .Select(m => $"{m} is not in GrafanaDashboards.RabbitMqExporterMetrics: {query}"));
        }

        problems.ShouldBeEmpty();
    }

    [Fact]
    public void Metric_names_are_read_from_promql_without_functions_labels_or_variables()
    {
        GrafanaDashboards.MetricNames(
                "histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{service=~\"$service\", http_route!~\"/health/.*\"}[$__rate_interval])))"
                + " / on (x) group_left (y) max without (z) (label_replace(ccapi_provider_status{a=\"b\"}, \"c\", \"$1\", \"d\", \"(.*)\")) * 3600 offset 5m")
            .Order(StringComparer.Ordinal)
            .ShouldBe(["ccapi_provider_status", "http_server_request_duration_seconds_bucket"]);
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Every_pod_carries_scrape_annotations_for_its_http_port_and_the_codes_metrics_path(string project)
    {
        var deployment = K8s.DeploymentOf(Repo.Service(project));
        var annotations = deployment.Doc.Map("spec", "template", "metadata", "annotations");
        annotations.ShouldNotBeNull($"{project}: no pod annotations");
        annotations.Str("prometheus.io/scrape").ShouldBe("true");
        annotations.Str("prometheus.io/path").ShouldBe(CodeFacts.MetricsPath);
        K8s.ContainerOf(deployment).Maps("ports").Select(p => p.Str("containerPort")).ShouldContain(annotations.Str("prometheus.io/port"));
    }

    [Theory]
    [MemberData(nameof(OverlayNames))]
    public void Service_monitors_scrape_services_on_a_port_they_expose_and_the_codes_metrics_path(string overlay)
    {
        var tree = K8s.Overlays.Single(o => o.Name == overlay).Tree;
        var problems = new List<string>();
        foreach (var monitor in tree.OfKind("ServiceMonitor"))
        {
            monitor.Doc.Str("apiVersion").ShouldBe("monitoring.coreos.com/v1");
            var selected = tree.OfKind("Service").Where(s => Selects(monitor, s)).ToList();
            foreach (var endpoint in monitor.Doc.Maps("spec", "endpoints"))
            {
                if ((endpoint.Str("path") ?? "/metrics") != CodeFacts.MetricsPath)
                {
                    problems.Add($"{monitor.Name}: path {endpoint.Str("path")}, the services serve {CodeFacts.MetricsPath}");
                }

                problems.AddRange(selected.Where(s => !s.Doc.Maps("spec", "ports").Any(p => p.Str("name") == endpoint.Str("port")))
                    .Select(s => $"{monitor.Name} selects Service {s.Name}, which has no port named '{endpoint.Str("port")}'"));
            }
        }

        problems.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Prod_service_monitor_selects_the_service_in_front_of_every_deployment(string project)
    {
        var name = Repo.Service(project).Name;
        var service = K8s.Prod.OfKind("Service").Single(s => s.Name == name);
        K8s.Prod.OfKind("ServiceMonitor").ShouldContain(m => Selects(m, service), $"no ServiceMonitor in overlays/prod selects Service {name}");
    }

    [Fact]
    public void Service_monitors_leave_out_rabbitmq_and_redis()
    {
        foreach (var monitor in K8s.Prod.OfKind("ServiceMonitor"))
        {
            K8s.Prod.OfKind("Service").Where(s => s.Name is "rabbitmq" or "redis" && Selects(monitor, s)).Select(s => s.Name).ShouldBeEmpty();
        }
    }

    /// <summary>Whether a ServiceMonitor's selector matches a Service's labels as kustomize renders them (with the base's common labels).</summary>
    private static bool Selects(K8sObject monitor, K8sObject service)
    {
        var labels = (service.Doc.Map("metadata", "labels") ?? []).ToDictionary(kv => kv.Key, kv => kv.Value as string, StringComparer.Ordinal);
        if (service.File.StartsWith("k8s/base/", StringComparison.Ordinal))
        {
            foreach (var (key, value) in K8s.Base.Spec.Maps("labels").SelectMany(l => l.Map("pairs") ?? []))
            {
                labels.TryAdd(key, value as string);
            }
        }

        var namespaces = monitor.Doc.List("spec", "namespaceSelector", "matchNames").OfType<string>().ToList();
        if (namespaces.Count > 0 && !namespaces.Contains(K8s.Base.Spec.Str("namespace")!))
        {
            return false;
        }

        var selector = monitor.Doc.Map("spec", "selector") ?? [];
        var matchLabels = (selector.Map("matchLabels") ?? []).All(kv => labels.GetValueOrDefault(kv.Key) == kv.Value as string);
        var matchExpressions = selector.Maps("matchExpressions").All(e =>
        {
            var values = e.List("values").OfType<string>().ToList();
            var value = labels.GetValueOrDefault(e.Str("key")!);
            return e.Str("operator") switch
            {
                "In" => value is not null && values.Contains(value),
                "NotIn" => value is null || !values.Contains(value),
                "Exists" => value is not null,
                "DoesNotExist" => value is null,
                var other => throw new InvalidOperationException($"Unknown selector operator {other} in {monitor}"),
            };
        });
        return matchLabels && matchExpressions;
    }
}
