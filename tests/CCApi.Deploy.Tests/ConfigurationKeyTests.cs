using CCApi.Deploy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CCApi.Deploy.Tests;

/// <summary>
/// Every environment variable compose and Kubernetes give a service is a configuration key that service's code reads
/// (so a key renamed in code, or misspelled in a manifest, fails here instead of being silently ignored), and every
/// setting the code requires is given.
/// </summary>
public sealed class ConfigurationKeyTests(ITestOutputHelper output)
{
    /// <summary>
    /// Keys the team briefing assigns to a service whose code does not exist yet. Tolerated only while that service
    /// declares no options class of its own; from then on they are checked like every other key.
    /// </summary>
    private static readonly Dictionary<string, string[]> PlannedKeys = new(StringComparer.Ordinal)
    {
    };

    public static TheoryData<string> ServiceProjects => new(Repo.Services.Select(s => s.Project));

    public static TheoryData<string, string> ServicesByOverlay
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var service in Repo.Services)
            {
                foreach (var (overlay, _) in K8s.Overlays)
                {
                    data.Add(service.Project, overlay);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Compose_environment_names_are_keys_the_service_reads(string project)
    {
        var service = Repo.Service(project);
        var env = Compose.Environment(service.Name);
        env.ShouldNotBeEmpty();
        Unread(service, env.Keys, env).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ServicesByOverlay))]
    public void Kubernetes_environment_names_are_keys_the_service_reads(string project, string overlay)
    {
        var service = Repo.Service(project);
        var env = KubernetesEnvironment(service, K8s.Overlays.Single(o => o.Name == overlay).Tree);
        env.ShouldNotBeEmpty();
        Unread(service, env.Keys, env).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Required_settings_without_a_default_are_given_by_compose_and_every_overlay(string project)
    {
        var service = Repo.Service(project);
        var required = CodeIndex.For(service).RequiredWithoutDefault();
        output.WriteLine($"{project} requires: {string.Join(", ", required.DefaultIfEmpty("(nothing)"))}");
        var environments = K8s.Overlays.Select(o => ($"k8s {o.Name}", (IReadOnlyDictionary<string, string>)KubernetesEnvironment(service, o.Tree)))
            .Append(("compose", Compose.Environment(service.Name)));
        var missing = from e in environments
                      from key in required
                      where !e.Item2.ContainsKey(key.Replace(":", "__", StringComparison.Ordinal))
                      select $"{e.Item1}: {key} is [Required] with no default, the service would fail at start";
        missing.ShouldBeEmpty();
    }

    [Fact]
    public void Resolution_finds_keys_in_options_classes_connection_strings_literals_and_appsettings()
    {
        // The checks above are only as good as the resolver: it must accept the real keys and reject near misses.
        var gateway = CodeIndex.For(Repo.Service("CCApi.Gateway"));
        gateway.Explain("ConnectionStrings:RabbitMq").ShouldNotBeNull();
        gateway.Explain("ConnectionStrings:Rabbit").ShouldBeNull();
        gateway.Explain("BlobUrls:SigningKey").ShouldNotBeNull();
        gateway.Explain("BlobUrls:SigningKeys").ShouldBeNull();
        gateway.Explain("OTEL_EXPORTER_OTLP_ENDPOINT").ShouldNotBeNull();
        gateway.Explain("Logging:Console:FormatterName").ShouldNotBeNull();
        gateway.Explain("Urls").ShouldNotBeNull();

        var catalog = CodeIndex.For(Repo.Service("CCApi.Catalog"));
        catalog.Explain("ConnectionStrings:Redis").ShouldBeNull("the catalog does not reference the Redis storage library");
    }

    /// <summary>Environment names that are not configuration keys, and the code fact that makes each legitimate.</summary>
    private static string? Platform(string name, IReadOnlyDictionary<string, string> env, CodeIndex code) => name switch
    {
        // The OpenTelemetry SDK reads it: ServiceDefaults builds its resource with ResourceBuilder.CreateDefault().
        "OTEL_RESOURCE_ATTRIBUTES" when code.Explain("OTEL_EXPORTER_OTLP_ENDPOINT") is not null => "OpenTelemetry SDK resource attributes",
        // ASP.NET Core's host reads it (every service is a web application): the addresses Kestrel listens on, here the
        // API port and the metrics port that Telemetry:MetricsPort names.
        "ASPNETCORE_URLS" when code.Explain("Telemetry:MetricsPort") is not null => "ASP.NET Core's listening addresses",
        // Downward-API helpers, legitimate only when another variable expands them.
        _ when env.Values.Any(v => v.Contains($"$({name})", StringComparison.Ordinal)) => $"expanded as $({name})",
        _ => null,
    };

    private IReadOnlyList<string> Unread(ServiceProject service, IEnumerable<string> names, IReadOnlyDictionary<string, string> env)
    {
        var code = CodeIndex.For(service);
        var problems = new List<string>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var key = name.Replace("__", ":", StringComparison.Ordinal);
            var why = Platform(name, env, code) ?? code.Explain(key);
            if (why is not null)
            {
                output.WriteLine($"{service.Project}: {name} -> {why}");
            }
            else if (!code.HasOwnOptions && PlannedKeys.GetValueOrDefault(service.Project, []).Contains(key))
            {
                output.WriteLine($"{service.Project}: {name} -> NOT CHECKED YET (planned key; {service.Project} has no options class yet)");
            }
            else
            {
                problems.Add($"{name} ({key}) is given to {service.Project} but nothing in its code or appsettings.json reads it");
            }
        }

        return problems;
    }

    /// <summary>Name -> value (or "(from X)" for envFrom) of what a Deployment's container gets in an overlay.</summary>
    private static Dictionary<string, string> KubernetesEnvironment(ServiceProject service, Kustomization overlay)
    {
        var container = K8s.ContainerOf(K8s.DeploymentOf(service));
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.Maps("envFrom"))
        {
            var keys = source.Str("configMapRef", "name") is { } cm ? overlay.ConfigMapKeys(cm)
                : source.Str("secretRef", "name") is { } secret ? K8s.SecretKeys(overlay, secret)
                : null;
            foreach (var key in keys ?? new HashSet<string>())
            {
                env[key] = $"(from {source.Str("configMapRef", "name") ?? source.Str("secretRef", "name")})";
            }
        }

        foreach (var variable in container.Maps("env"))
        {
            env[variable.Str("name")!] = variable.Str("value") ?? "(valueFrom)";
        }

        return env;
    }
}
