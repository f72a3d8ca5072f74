namespace CCApi.Deploy.Tests.Infrastructure;

/// <summary>One Kubernetes object read from a file of the kustomization tree (before any kustomize transformation).</summary>
public sealed record K8sObject(string File, Dictionary<string, object?> Doc)
{
    public string Kind => Doc.Str("kind") ?? "";

    public string Name => Doc.Str("metadata", "name") ?? "";

    public override string ToString() => $"{Kind}/{Name} ({File})";
}

/// <summary>A configMapGenerator or secretGenerator entry and the keys it produces.</summary>
public sealed record Generator(string Kustomization, string Name, string Behavior, IReadOnlyDictionary<string, string> Literals, IReadOnlyList<string> Files)
{
    /// <summary>Data keys: literal names and file keys (the file name, or the part before '=').</summary>
    public IEnumerable<string> Keys => Literals.Keys.Concat(Files.Select(f => f.Contains('=', StringComparison.Ordinal) ? f[..f.IndexOf('=', StringComparison.Ordinal)] : Path.GetFileName(f)));
}

/// <summary>
/// A kustomization and everything it pulls in (resources files and sub-kustomizations, recursively), read the way
/// kustomize reads it, without running kustomize: the tests must not depend on a kustomize binary.
/// </summary>
public sealed class Kustomization
{
    private Kustomization(string dir)
    {
        Dir = dir;
        File = $"{dir}/kustomization.yaml";
        Spec = Yaml.Load(File);
        foreach (var entry in Spec.List("resources").OfType<string>())
        {
            var path = Normalize($"{dir}/{entry}");
            if (Repo.Exists($"{path}/kustomization.yaml"))
            {
                Children.Add(new Kustomization(path));
            }
            else
            {
                OwnResources.AddRange(Yaml.LoadAll(path).Select(d => new K8sObject(path, d)));
            }
        }

        OwnConfigMapGenerators = ReadGenerators("configMapGenerator");
        OwnSecretGenerators = ReadGenerators("secretGenerator");
    }

    /// <summary>Repository-relative folder.</summary>
    public string Dir { get; }

    public string File { get; }

    public Dictionary<string, object?> Spec { get; }

    public List<Kustomization> Children { get; } = [];

    public List<K8sObject> OwnResources { get; } = [];

    public IReadOnlyList<Generator> OwnConfigMapGenerators { get; }

    public IReadOnlyList<Generator> OwnSecretGenerators { get; }

    public IEnumerable<Kustomization> Tree => Children.SelectMany(c => c.Tree).Prepend(this);

    public IEnumerable<K8sObject> Resources => Tree.SelectMany(k => k.OwnResources);

    public IEnumerable<Generator> ConfigMapGenerators => Tree.SelectMany(k => k.OwnConfigMapGenerators);

    public IEnumerable<Generator> SecretGenerators => Tree.SelectMany(k => k.OwnSecretGenerators);

    public IEnumerable<K8sObject> OfKind(string kind) => Resources.Where(r => r.Kind == kind);

    public static Kustomization Load(string dir) => new(dir);

    /// <summary>Data keys of a ConfigMap, from every generator (base and merges) and plain ConfigMap object of that name.</summary>
    public IReadOnlySet<string>? ConfigMapKeys(string name)
    {
        var generators = ConfigMapGenerators.Where(g => g.Name == name).ToList();
        var objects = OfKind("ConfigMap").Where(c => c.Name == name).ToList();
        if (generators.Count == 0 && objects.Count == 0)
        {
            return null;
        }

        return generators.SelectMany(g => g.Keys)
            .Concat(objects.SelectMany(o => o.Doc.Map("data")?.Keys ?? Enumerable.Empty<string>()))
            .ToHashSet(StringComparer.Ordinal);
    }

    private List<Generator> ReadGenerators(string field) => Spec.Maps(field).Select(g => new Generator(
        File,
        g.Str("name")!,
        g.Str("behavior") ?? "create",
        g.List("literals").OfType<string>().ToDictionary(l => l.Split('=', 2)[0], l => l.Split('=', 2).ElementAtOrDefault(1) ?? "", StringComparer.Ordinal),
        g.List("files").OfType<string>().Select(f => f.Contains('=', StringComparison.Ordinal) ? f : $"{f}").ToList())).ToList();

    private static string Normalize(string path) => Repo.Relative(Repo.PathOf(path));
}

/// <summary>The kustomization trees the tests read, loaded once.</summary>
public static class K8s
{
    public static Kustomization Base { get; } = Kustomization.Load("k8s/base");

    public static Kustomization Dev { get; } = Kustomization.Load("k8s/overlays/dev");

    public static Kustomization Prod { get; } = Kustomization.Load("k8s/overlays/prod");

    public static IReadOnlyList<(string Name, Kustomization Tree)> Overlays { get; } = [("dev", Dev), ("prod", Prod)];

    public const string ProdSecretTemplate = "k8s/overlays/prod/secrets.template.yaml";

    /// <summary>The Secrets production must provide, with their keys (the template is not part of any kustomization).</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> ProdSecrets { get; } = Yaml.LoadAll(ProdSecretTemplate)
        .Where(d => d.Str("kind") == "Secret")
        .ToDictionary(d => d.Str("metadata", "name")!, d => (IReadOnlySet<string>)(d.Map("stringData") ?? d.Map("data") ?? []).Keys.ToHashSet(StringComparer.Ordinal));

    /// <summary>Keys of a Secret as an overlay provides it: generated in dev, pre-created (template) in prod.</summary>
    public static IReadOnlySet<string>? SecretKeys(Kustomization overlay, string name)
    {
        if (overlay == Prod)
        {
            return ProdSecrets.GetValueOrDefault(name);
        }

        var generators = overlay.SecretGenerators.Where(g => g.Name == name).ToList();
        return generators.Count == 0 ? null : generators.SelectMany(g => g.Keys).ToHashSet(StringComparer.Ordinal);
    }

    public static K8sObject DeploymentOf(ServiceProject service) => Base.OfKind("Deployment").Single(d => d.Name == service.Name);

    public static Dictionary<string, object?> ContainerOf(K8sObject deployment) =>
        deployment.Doc.Maps("spec", "template", "spec", "containers").Single();
}
