using CCApi.Deploy.Tests.Infrastructure;

namespace CCApi.Deploy.Tests;

/// <summary>docker-compose.yml runs every service from deploy/Dockerfile, in dependency order, wired as the code expects.</summary>
public sealed class ComposeTests
{
    public static TheoryData<string> ServiceProjects => new(Repo.Services.Select(s => s.Project));

    private static string ComposeName(string project) => Repo.Service(project).Name;

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Every_service_project_has_a_compose_service_built_from_the_dockerfile(string project)
    {
        var name = ComposeName(project);
        Compose.Services.Keys.ShouldContain(name);
        var service = Compose.Services[name];
        service.Str("build", "context").ShouldBe(".");
        service.Str("build", "dockerfile").ShouldBe(Dockerfile.RelativePath);
        service.Str("build", "args", "SERVICE").ShouldBe(project);
        service.Str("image")!.ShouldStartWith(Repo.Service(project).Image + ":");
        var runtime = service.Str("build", "args", "RUNTIME");
        if (runtime is not null)
        {
            Dockerfile.Instance.Stages.Select(s => s.Name).ShouldContain($"runtime-{runtime}");
        }
    }

    [Fact]
    public void Every_compose_build_names_an_existing_service_project()
    {
        Compose.BuiltProjects.Values.Except(Repo.Services.Select(s => s.Project)).ShouldBeEmpty();
    }

    [Fact]
    public void Every_dependency_waits_for_a_healthy_service_that_has_a_healthcheck()
    {
        var problems = new List<string>();
        foreach (var (name, service) in Compose.Services)
        {
            switch (service.At("depends_on"))
            {
                case null:
                    break;
                case Dictionary<string, object?> dependencies:
                    foreach (var (target, spec) in dependencies)
                    {
                        if (spec.Str("condition") != "service_healthy")
                        {
                            problems.Add($"{name} -> {target}: condition {spec.Str("condition") ?? "(none)"}, expected service_healthy");
                        }

                        if (!Compose.Services.TryGetValue(target, out var dependency) || dependency.List("healthcheck", "test").Count == 0)
                        {
                            problems.Add($"{name} -> {target}: the target has no healthcheck, so service_healthy never becomes true");
                        }
                    }

                    break;
                default:
                    problems.Add($"{name}: depends_on as a list means service_started; use the map form with condition: service_healthy");
                    break;
            }
        }

        problems.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Service_healthcheck_probes_readiness_with_the_script_the_image_contains(string project)
    {
        var test = Compose.Services[ComposeName(project)].List("healthcheck", "test").OfType<string>().ToList();
        test.Count.ShouldBe(3);
        test[0].ShouldBe("CMD");
        Dockerfile.Instance.Final.All("COPY").ShouldContain(c => c.Arguments.EndsWith(" " + test[1], StringComparison.Ordinal), $"the image has no {test[1]}");
        test[2].ShouldBe("/health/ready");
    }

    [Fact]
    public void Gateway_is_published_on_host_port_8080()
    {
        Compose.Services[Repo.Service("CCApi.Gateway").Name].List("ports").OfType<string>().ShouldContain("8080:8080");
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Stop_grace_period_outlasts_the_bus_stop_timeout(string project)
    {
        var grace = Compose.Services[ComposeName(project)].Str("stop_grace_period");
        grace.ShouldNotBeNull("the compose default (10 s) is shorter than Messaging:StopTimeout");
        Compose.Duration(grace).ShouldBeGreaterThan(CodeFacts.BusStopTimeout);
    }

    [Fact]
    public void Internal_urls_point_at_compose_services_on_their_container_port()
    {
        var problems = new List<string>();
        foreach (var (name, _) in Compose.Services)
        {
            foreach (var (key, value) in Compose.Environment(name))
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !Compose.Services.ContainsKey(uri.Host))
                {
                    continue;
                }

                var expected = Compose.BuiltProjects.ContainsKey(uri.Host) ? 8080 : (int?)null;
                if (expected is not null && uri.Port != expected)
                {
                    problems.Add($"{name}.{key}={value}: {uri.Host} listens on {expected}");
                }

                if (uri.Host == name)
                {
                    problems.Add($"{name}.{key}={value} points at itself");
                }
            }
        }

        problems.ShouldBeEmpty();
        Compose.Environment(Repo.Service("CCApi.Gateway").Name)["Services__CatalogUrl"].ShouldBe($"http://{Repo.Service("CCApi.Catalog").Name}:8080");
        Compose.Environment(Repo.Service("CCApi.Gateway").Name)["Services__JobStatusUrl"].ShouldBe($"http://{Repo.Service("CCApi.JobStatus").Name}:8080");
    }

    [Fact]
    public void Bind_mounts_name_files_in_the_repository()
    {
        var mounts = Compose.Services.Values.SelectMany(s => s.List("volumes").OfType<string>()).Where(v => v.StartsWith("./", StringComparison.Ordinal)).ToList();
        mounts.ShouldNotBeEmpty();
        mounts.Select(v => v.Split(':')[0][2..]).Where(path => !Repo.Exists(path)).ShouldBeEmpty();
    }

    [Fact]
    public void Catalog_reads_the_definition_file_that_is_mounted_into_it()
    {
        var name = Repo.Service("CCApi.Catalog").Name;
        var path = Compose.Environment(name)["Catalog__DefinitionPath"];
        Compose.Services[name].List("volumes").OfType<string>().ShouldContain($"./deploy/catalog.json:{path}:ro");
    }

    [Fact]
    public void Services_export_telemetry_to_a_collector_that_forwards_traces_to_the_trace_viewer()
    {
        var endpoints = Compose.BuiltProjects.Keys.Select(s => Compose.Environment(s).GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT")).Distinct().ToList();
        endpoints.Count.ShouldBe(1, "every service exports to the same place");
        var endpoint = new Uri(endpoints[0]!);
        var collector = Compose.Services[endpoint.Host];
        var mount = collector.List("volumes").OfType<string>().Single(v => v.StartsWith("./deploy/", StringComparison.Ordinal));
        var config = Yaml.Load(mount.Split(':')[0][2..]);

        // The services speak OTLP/gRPC by default (ServiceDefaults; OTEL_EXPORTER_OTLP_PROTOCOL unset), so port 4317.
        endpoint.Port.ShouldBe(4317);
        config.Str("receivers", "otlp", "protocols", "grpc", "endpoint").ShouldEndWith(":4317");
        var traceExporters = config.List("service", "pipelines", "traces", "exporters").OfType<string>().ToList();
        traceExporters.ShouldContain("debug");
        var forward = traceExporters.Single(e => e.StartsWith("otlp", StringComparison.Ordinal));
        var target = config.Str("exporters", forward, "endpoint")!;
        Compose.Services.Keys.ShouldContain(target.Split(':')[0], "the trace exporter must reach a compose service");
        Compose.Services[target.Split(':')[0]].Str("environment", "COLLECTOR_OTLP_ENABLED").ShouldBe("true");
    }
}
