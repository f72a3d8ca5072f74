using CCApi.Contracts;
using CCApi.Deploy.Tests.Infrastructure;

namespace CCApi.Deploy.Tests;

/// <summary>The kustomize base and overlays: one hardened, probed, budgeted Deployment per service, scaled as designed.</summary>
public sealed class KubernetesTests
{
    public static TheoryData<string> ServiceProjects => new(Repo.Services.Select(s => s.Project));

    public static TheoryData<string> Adapters => new(Repo.Services.Where(s => s.IsAdapter).Select(s => s.Project));

    public static TheoryData<string> OverlayNames => new(K8s.Overlays.Select(o => o.Name));

    private static Kustomization Overlay(string name) => K8s.Overlays.Single(o => o.Name == name).Tree;

    private static Dictionary<string, object?> PodSpec(K8sObject deployment) => deployment.Doc.Map("spec", "template", "spec")!;

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Every_service_project_has_a_deployment_running_its_image(string project)
    {
        var service = Repo.Service(project);
        var deployments = K8s.Base.OfKind("Deployment").Where(d => d.Name == service.Name).ToList();
        deployments.Count.ShouldBe(1, $"k8s/base has no Deployment '{service.Name}' for {project} (a folder listed in k8s/base/kustomization.yaml)");
        K8s.ContainerOf(deployments[0]).Str("image").ShouldBe(service.Image);
        deployments[0].Doc.Str("spec", "template", "metadata", "labels", "app.kubernetes.io/name").ShouldBe(service.Name);
    }

    [Fact]
    public void Every_deployment_belongs_to_a_service_project()
    {
        K8s.Base.OfKind("Deployment").Select(d => d.Name).Except(Repo.Services.Select(s => s.Name)).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Container_listens_on_8080_and_probes_the_health_endpoints(string project)
    {
        var container = K8s.ContainerOf(K8s.DeploymentOf(Repo.Service(project)));
        var ports = container.Maps("ports").ToList();
        var port = ports.Single(p => p.Str("name") == "http");
        port.Str("containerPort").ShouldBe("8080");
        // Prometheus' scrape alone (ccapi-common: Telemetry__MetricsPort), never on the port an Ingress routes to.
        ports.Where(p => p.Str("name") != "http").Select(p => $"{p.Str("name")}:{p.Str("containerPort")}").ShouldBe(["metrics:9464"]);

        foreach (var (probe, path) in new[] { ("startupProbe", "/health/live"), ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready") })
        {
            container.Str(probe, "httpGet", "path").ShouldBe(path, $"{probe} of {project}");
            var probePort = container.Str(probe, "httpGet", "port");
            (probePort == "8080" || probePort == port.Str("name")).ShouldBeTrue($"{probe} of {project} targets port {probePort}, not 8080");
        }
    }

    [Fact]
    public void Liveness_and_startup_probes_never_depend_on_readiness()
    {
        // A restart-triggering probe on /health/ready would restart every pod during a RabbitMQ or Redis outage.
        var offenders = K8s.Base.OfKind("Deployment")
            .SelectMany(d => d.Doc.Maps("spec", "template", "spec", "containers").Select(c => (d.Name, c)))
            .SelectMany(x => new[] { "livenessProbe", "startupProbe" }.Select(p => (x.Name, Probe: p, Path: x.c.Str(p, "httpGet", "path"))))
            .Where(x => x.Path is null || x.Path.Contains("ready", StringComparison.OrdinalIgnoreCase))
            .Select(x => $"{x.Name}.{x.Probe} -> {x.Path ?? "(no http probe)"}");
        offenders.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Deployment_runs_non_root_with_a_read_only_root_and_no_privileges(string project)
    {
        var deployment = K8s.DeploymentOf(Repo.Service(project));
        var pod = PodSpec(deployment);
        var container = K8s.ContainerOf(deployment);
        (pod.Str("securityContext", "runAsNonRoot") ?? container.Str("securityContext", "runAsNonRoot")).ShouldBe("true");
        var uid = pod.Int("securityContext", "runAsUser") ?? container.Int("securityContext", "runAsUser");
        uid.ShouldNotBeNull();
        uid.Value.ShouldBeGreaterThan(0);
        container.Str("securityContext", "allowPrivilegeEscalation").ShouldBe("false");
        container.List("securityContext", "capabilities", "drop").ShouldContain("ALL");
        container.Str("securityContext", "readOnlyRootFilesystem").ShouldBe("true");

        // A read-only root needs a writable /tmp (.NET diagnostics socket, temporary files).
        var tmp = container.Maps("volumeMounts").SingleOrDefault(m => m.Str("mountPath") == "/tmp");
        tmp.ShouldNotBeNull();
        pod.Maps("volumes").Single(v => v.Str("name") == tmp.Str("name")).At("emptyDir").ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Deployment_has_cpu_and_memory_requests_and_limits(string project)
    {
        var resources = K8s.ContainerOf(K8s.DeploymentOf(Repo.Service(project))).Map("resources");
        foreach (var kind in new[] { "requests", "limits" })
        {
            foreach (var resource in new[] { "cpu", "memory" })
            {
                resources.Str(kind, resource).ShouldNotBeNullOrWhiteSpace($"{project}: resources.{kind}.{resource}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Grace_period_outlasts_the_pre_stop_pause_plus_the_bus_stop_timeout(string project)
    {
        var deployment = K8s.DeploymentOf(Repo.Service(project));
        var grace = PodSpec(deployment).Int("terminationGracePeriodSeconds");
        grace.ShouldNotBeNull($"{project}: the default (30 s) leaves almost nothing after Messaging:StopTimeout");
        var preStop = K8s.ContainerOf(deployment).List("lifecycle", "preStop", "exec", "command").OfType<string>().ToList();
        var pause = preStop is ["sleep", var seconds] ? int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) : 0;
        TimeSpan.FromSeconds(grace.Value).ShouldBeGreaterThan(CodeFacts.BusStopTimeout + TimeSpan.FromSeconds(pause));
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Deployment_has_a_disruption_budget_that_selects_its_pods(string project)
    {
        var deployment = K8s.DeploymentOf(Repo.Service(project));
        var podLabels = deployment.Doc.Map("spec", "template", "metadata", "labels")!;
        var budgets = K8s.Base.OfKind("PodDisruptionBudget")
            .Where(p => p.Doc.Map("spec", "selector", "matchLabels") is { Count: > 0 } selector
                        && selector.All(kv => podLabels.TryGetValue(kv.Key, out var v) && Equals(v, kv.Value)))
            .ToList();
        budgets.Count.ShouldBe(1, $"{project}: PodDisruptionBudgets selecting its pods");
        (budgets[0].Doc.At("spec", "maxUnavailable") ?? budgets[0].Doc.At("spec", "minAvailable")).ShouldNotBeNull();
    }

    [Fact]
    public void Every_service_object_routes_to_the_http_port_of_exactly_one_deployment()
    {
        var problems = new List<string>();
        foreach (var service in K8s.Base.OfKind("Service").Where(s => s.Doc.Str("spec", "type") != "ExternalName"))
        {
            var selector = service.Doc.Map("spec", "selector") ?? [];
            var targets = K8s.Base.OfKind("Deployment")
                .Where(d => selector.Count > 0 && selector.All(kv => Equals(d.Doc.At("spec", "template", "metadata", "labels", kv.Key), kv.Value)))
                .ToList();
            if (targets.Count != 1)
            {
                problems.Add($"Service {service.Name} selects {targets.Count} Deployments");
                continue;
            }

            var ports = K8s.ContainerOf(targets[0]).Maps("ports").ToList();
            foreach (var port in service.Doc.Maps("spec", "ports"))
            {
                var target = port.Str("targetPort") ?? port.Str("port");
                if (!ports.Any(p => p.Str("name") == target || p.Str("containerPort") == target))
                {
                    problems.Add($"Service {service.Name} port {port.Str("port")} targets '{target}', which {targets[0].Name} does not expose");
                }
            }
        }

        problems.ShouldBeEmpty();
    }

    [Fact]
    public void Internal_urls_in_config_name_a_service_and_one_of_its_ports()
    {
        var problems = new List<string>();
        var literals = K8s.Overlays.SelectMany(o => o.Tree.ConfigMapGenerators).SelectMany(g => g.Literals).ToList();
        literals.ShouldContain(kv => kv.Key == "Services__CatalogUrl");
        foreach (var (key, value) in literals)
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.IsLoopback || uri.Host.Contains('.', StringComparison.Ordinal))
            {
                continue; // only in-namespace short names are ours to check (localhost: a port-forward address)
            }

            var service = K8s.Base.OfKind("Service").SingleOrDefault(s => s.Name == uri.Host);
            if (service is null)
            {
                problems.Add($"{key}={value}: no Service '{uri.Host}' in k8s/base");
            }
            else if (!service.Doc.Maps("spec", "ports").Any(p => p.Str("port") == uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                problems.Add($"{key}={value}: Service {uri.Host} has no port {uri.Port}");
            }
        }

        problems.ShouldBeEmpty();
    }

    [Fact]
    public void Gateway_is_scaled_by_a_cpu_autoscaler()
    {
        var gateway = Repo.Service("CCApi.Gateway").Name;
        var hpa = K8s.Base.OfKind("HorizontalPodAutoscaler").Single(h => h.Doc.Str("spec", "scaleTargetRef", "name") == gateway);
        hpa.Doc.Str("spec", "scaleTargetRef", "kind").ShouldBe("Deployment");
        hpa.Doc.Int("spec", "minReplicas")!.Value.ShouldBeGreaterThanOrEqualTo(2, "one gateway pod is a single point of failure");
        hpa.Doc.Maps("spec", "metrics").ShouldContain(m => m.Str("resource", "name") == "cpu");
    }

    [Fact]
    public void Autoscaled_deployments_leave_the_replica_count_to_the_autoscaler()
    {
        var scaled = K8s.Base.OfKind("HorizontalPodAutoscaler").Concat(K8s.Base.OfKind("ScaledObject"))
            .Select(a => a.Doc.Str("spec", "scaleTargetRef", "name")).ToHashSet();
        var patched = K8s.Overlays.SelectMany(o => PatchDocuments(o.Tree)).Where(d => d.Str("kind") == "Deployment");
        K8s.Base.OfKind("Deployment").Select(d => d.Doc).Concat(patched)
            .Where(d => scaled.Contains(d.Str("metadata", "name")) && d.At("spec", "replicas") is not null)
            .Select(d => d.Str("metadata", "name"))
            .ShouldBeEmpty("`kubectl apply` would reset the autoscaler's choice to this value");
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public void Adapter_scales_on_exactly_the_queues_of_its_provider(string project)
    {
        var adapter = Repo.Service(project);
        var provider = adapter.Provider!;
        var scaledObject = K8s.Base.OfKind("ScaledObject").Single(s => s.Doc.Str("spec", "scaleTargetRef", "name") == adapter.Name);
        var triggers = scaledObject.Doc.Maps("spec", "triggers").ToList();
        triggers.ShouldAllBe(t => t.Str("type") == "rabbitmq");
        triggers.ShouldAllBe(t => t.Str("metadata", "mode") == "QueueLength");

        var catalogKinds = CodeFacts.CatalogKinds(provider);
        catalogKinds.ShouldNotBeEmpty($"deploy/catalog.json has no models of provider '{provider}'");
        var expected = catalogKinds.SelectMany(k => QueuesOf(provider, k)).Order(StringComparer.Ordinal).ToList();
        triggers.Select(t => t.Str("metadata", "queueName")).Order(StringComparer.Ordinal).ShouldBe(expected);

        // Once the adapter's consumers name their queues, they must be the same ones.
        var consumed = CodeFacts.ConsumedKinds(adapter);
        if (consumed.Count > 0)
        {
            consumed.SelectMany(k => QueuesOf(provider, k)).Order(StringComparer.Ordinal).ShouldBe(expected);
        }

        // An image adapter takes async jobs on their own queue: its Program.cs registers its image consumer there too.
        CodeIndex.For(adapter).OwnSource.Contains("AddAsyncImageConsumer<", StringComparison.Ordinal)
            .ShouldBe(catalogKinds.Contains(JobKind.Image), "an adapter of image models consumes {provider}-image-async (x.AddAsyncImageConsumer<…>())");
    }

    /// <summary>The queues of a provider's kind: "{provider}-{kind}", and "{provider}-image-async" beside "{provider}-image".</summary>
    private static IEnumerable<string> QueuesOf(string provider, JobKind kind) =>
        kind == JobKind.Image ? [Queues.For(provider, kind), Queues.ForAsyncImages(provider)] : [Queues.For(provider, kind)];

    [Theory]
    [MemberData(nameof(Adapters))]
    public void Adapter_queue_depth_is_read_with_the_broker_credentials_every_overlay_provides(string project)
    {
        var adapter = Repo.Service(project);
        var scaledObject = K8s.Base.OfKind("ScaledObject").Single(s => s.Doc.Str("spec", "scaleTargetRef", "name") == adapter.Name);
        foreach (var authName in scaledObject.Doc.Maps("spec", "triggers").Select(t => t.Str("authenticationRef", "name")).Distinct())
        {
            var auth = K8s.Base.OfKind("TriggerAuthentication").SingleOrDefault(a => a.Name == authName);
            auth.ShouldNotBeNull($"TriggerAuthentication {authName}");
            var host = auth.Doc.Maps("spec", "secretTargetRef").Single(r => r.Str("parameter") == "host");
            host.Str("key").ShouldBe("ConnectionStrings__RabbitMq", "KEDA must read the broker the adapters consume from");
            foreach (var (overlay, tree) in K8s.Overlays)
            {
                (K8s.SecretKeys(tree, host.Str("name")!) ?? new HashSet<string>()).ShouldContain(host.Str("key")!, $"Secret {host.Str("name")} in {overlay}");
            }

            // KEDA's operator runs in its own namespace: a bare Service name would resolve there, not in ours.
            var uri = new Uri(K8s.Dev.SecretGenerators.Where(g => g.Name == host.Str("name")).SelectMany(g => g.Literals).Single(kv => kv.Key == host.Str("key")).Value);
            uri.Host.ShouldContain('.', customMessage: $"{uri.Host} would not resolve from the KEDA operator's namespace");
        }
    }

    [Fact]
    public void Adapters_never_scale_to_zero()
    {
        // With no replica there is no heartbeat: the catalog marks the provider unavailable and the gateway stops
        // queueing its jobs, so queue depth could never scale it back up.
        K8s.Base.OfKind("ScaledObject").Select(s => s.Doc)
            .Concat(K8s.Overlays.SelectMany(o => PatchDocuments(o.Tree)).Where(d => d.Str("kind") == "ScaledObject"))
            .Where(d => (d.Int("spec", "minReplicaCount") ?? 0) < 1)
            .Select(d => d.Str("metadata", "name"))
            .ShouldBeEmpty();
    }

    [Fact]
    public void Catalog_definition_is_mounted_where_DefinitionPath_points()
    {
        var deployment = K8s.DeploymentOf(Repo.Service("CCApi.Catalog"));
        var configMaps = K8s.ContainerOf(deployment).Maps("envFrom").Select(e => e.Str("configMapRef", "name")).OfType<string>();
        var path = K8s.Base.ConfigMapGenerators.Where(g => configMaps.Contains(g.Name))
            .Select(g => g.Literals.GetValueOrDefault("Catalog__DefinitionPath")).Single(p => p is not null)!;

        var mount = K8s.ContainerOf(deployment).Maps("volumeMounts").Single(m => path.StartsWith(m.Str("mountPath") + "/", StringComparison.Ordinal));
        mount.At("subPath").ShouldBeNull("a subPath mount never sees ConfigMap updates");
        var configMap = PodSpec(deployment).Maps("volumes").Single(v => v.Str("name") == mount.Str("name")).Str("configMap", "name")!;
        var generator = K8s.Base.ConfigMapGenerators.Single(g => g.Name == configMap);
        generator.Keys.ShouldContain(Path.GetFileName(path));

        // The generated file is deploy/catalog.json itself, not a copy that can drift.
        var file = generator.Files.Single(f => Path.GetFileName(f) == Path.GetFileName(path));
        Repo.Relative(Repo.PathOf($"{Path.GetDirectoryName(generator.Kustomization)}/{file}")).ShouldBe("deploy/catalog.json");
    }

    [Theory]
    [MemberData(nameof(OverlayNames))]
    public void Every_config_map_and_secret_a_deployment_uses_exists_in_the_overlay(string overlay)
    {
        var tree = Overlay(overlay);
        var problems = new List<string>();
        foreach (var deployment in tree.OfKind("Deployment"))
        {
            foreach (var container in deployment.Doc.Maps("spec", "template", "spec", "containers"))
            {
                foreach (var source in container.Maps("envFrom"))
                {
                    if (source.Str("configMapRef", "name") is { } cm && tree.ConfigMapKeys(cm) is null)
                    {
                        problems.Add($"{deployment.Name}: ConfigMap {cm} is not defined");
                    }

                    if (source.Str("secretRef", "name") is { } secret && K8s.SecretKeys(tree, secret) is null)
                    {
                        problems.Add($"{deployment.Name}: Secret {secret} is not {(tree == K8s.Prod ? $"in {K8s.ProdSecretTemplate}" : "generated")}");
                    }
                }
            }

            foreach (var volume in deployment.Doc.Maps("spec", "template", "spec", "volumes"))
            {
                if (volume.Str("configMap", "name") is { } cm && tree.ConfigMapKeys(cm) is null)
                {
                    problems.Add($"{deployment.Name}: volume ConfigMap {cm} is not defined");
                }
            }
        }

        problems.ShouldBeEmpty();
    }

    [Fact]
    public void Base_contains_no_secrets()
    {
        K8s.Base.OfKind("Secret").ShouldBeEmpty();
        K8s.Base.SecretGenerators.ShouldBeEmpty();
    }

    [Fact]
    public void Dev_placeholder_secrets_and_the_prod_template_have_the_same_names_and_keys()
    {
        var referenced = K8s.Base.OfKind("Deployment")
            .SelectMany(d => d.Doc.Maps("spec", "template", "spec", "containers"))
            .SelectMany(c => c.Maps("envFrom")).Select(e => e.Str("secretRef", "name")).OfType<string>()
            .Concat(K8s.Base.OfKind("TriggerAuthentication").SelectMany(t => t.Doc.Maps("spec", "secretTargetRef")).Select(r => r.Str("name")!))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var name in referenced)
        {
            var dev = K8s.SecretKeys(K8s.Dev, name);
            var prod = K8s.SecretKeys(K8s.Prod, name);
            dev.ShouldNotBeNull($"Secret {name} is not generated in overlays/dev");
            prod.ShouldNotBeNull($"Secret {name} is not in {K8s.ProdSecretTemplate}");
            dev.Order(StringComparer.Ordinal).ShouldBe(prod.Order(StringComparer.Ordinal), $"keys of Secret {name}");
        }
    }

    [Fact]
    public void Prod_secret_template_holds_no_values()
    {
        Yaml.LoadAll(K8s.ProdSecretTemplate).Where(d => d.Str("kind") == "Secret")
            .SelectMany(d => (d.Map("stringData") ?? []).Select(kv => (Secret: d.Str("metadata", "name"), kv.Key, Value: kv.Value as string)))
            .Where(x => x.Value != "REPLACE_ME")
            .Select(x => $"{x.Secret}.{x.Key}")
            .ShouldBeEmpty();
        K8s.Prod.SecretGenerators.ShouldBeEmpty("production secrets come from the cluster's secret store, not from the repository");
    }

    [Theory]
    [MemberData(nameof(OverlayNames))]
    public void Overlay_pins_a_tag_for_every_image(string overlay)
    {
        var images = Overlay(overlay).Tree.SelectMany(k => k.Spec.Maps("images")).ToList();
        foreach (var image in K8s.Base.OfKind("Deployment").Select(d => K8s.ContainerOf(d).Str("image")!))
        {
            var entry = images.SingleOrDefault(i => i.Str("name") == image);
            entry.ShouldNotBeNull($"{overlay} sets no tag for {image} (it would run :latest)");
            (entry.Str("newTag") ?? entry.Str("digest")).ShouldNotBeNullOrWhiteSpace();
        }
    }

    [Theory]
    [MemberData(nameof(OverlayNames))]
    public void Overlay_patches_target_objects_that_exist(string overlay)
    {
        var tree = Overlay(overlay);
        var objects = tree.Resources.ToList();
        var problems = new List<string>();
        foreach (var kustomization in tree.Tree)
        {
            foreach (var patch in kustomization.Spec.Maps("patches"))
            {
                if (patch.Map("target") is { } target)
                {
                    var matches = objects.Where(o => o.Kind == target.Str("kind")
                        && (target.Str("name") is not { } n || o.Name == n)
                        && (target.Str("labelSelector") is not { } selector || Selects(selector, o))).ToList();
                    if (matches.Count == 0)
                    {
                        problems.Add($"{kustomization.File}: patch target {target.Str("kind")}/{target.Str("name") ?? target.Str("labelSelector")} matches nothing");
                    }
                }
                else
                {
                    foreach (var doc in Yaml.LoadAll($"{kustomization.Dir}/{patch.Str("path")}"))
                    {
                        if (!objects.Any(o => o.Kind == doc.Str("kind") && o.Name == doc.Str("metadata", "name")))
                        {
                            problems.Add($"{kustomization.File}: patch {patch.Str("path")} targets {doc.Str("kind")}/{doc.Str("metadata", "name")}, which does not exist");
                        }
                    }
                }
            }
        }

        problems.ShouldBeEmpty();

        static bool Selects(string selector, K8sObject o) => selector.Split(',').All(term =>
        {
            var kv = term.Split('=', 2);
            var labels = o.Doc.Map("metadata", "labels") ?? [];
            var common = o.File.StartsWith("k8s/base/", StringComparison.Ordinal) || o.File.StartsWith("deploy/", StringComparison.Ordinal)
                ? K8s.Base.Spec.Maps("labels").SelectMany(l => l.Map("pairs") ?? []).ToDictionary(p => p.Key, p => p.Value)
                : [];
            return Equals(labels.GetValueOrDefault(kv[0]) ?? common.GetValueOrDefault(kv[0]), kv[1]);
        });
    }

    /// <summary>Documents of the strategic-merge patch files of an overlay (the ones without a target).</summary>
    private static IEnumerable<Dictionary<string, object?>> PatchDocuments(Kustomization tree) =>
        tree.Tree.SelectMany(k => k.Spec.Maps("patches")
            .Where(p => p.At("target") is null && p.Str("path") is not null)
            .SelectMany(p => Yaml.LoadAll($"{k.Dir}/{p.Str("path")}")));
}
