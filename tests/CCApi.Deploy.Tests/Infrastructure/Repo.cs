using System.Xml.Linq;
using CCApi.Testing;

namespace CCApi.Deploy.Tests.Infrastructure;

/// <summary>The repository the tests run in, found by walking up from the test binaries to CCApi.Platform.sln.</summary>
public static class Repo
{
    public static string Root => TestInfrastructure.RepoRoot;

    public static string PathOf(string relative) => Path.GetFullPath(Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar)));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    public static bool Exists(string relative) => File.Exists(PathOf(relative)) || Directory.Exists(PathOf(relative));

    /// <summary>Repository-relative path with forward slashes.</summary>
    public static string Relative(string fullPath) => Path.GetRelativePath(Root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>Every deployable: a folder under services/ holding a project of the same name.</summary>
    public static IReadOnlyList<ServiceProject> Services { get; } = Directory
        .GetDirectories(PathOf("services"))
        .Select(Path.GetFileName)
        .Where(name => File.Exists(PathOf($"services/{name}/{name}.csproj")))
        .Select(name => new ServiceProject(name!))
        .OrderBy(s => s.Project, StringComparer.Ordinal)
        .ToList();

    public static ServiceProject Service(string project) => Services.Single(s => s.Project == project);
}

/// <summary>
/// A service project and the names it is deployed under. The rule (also in k8s/README.md): CCApi.X becomes "x" in lower
/// case, CCApi.Adapters.P becomes "adapter-p" (provider "p"); compose services, k8s objects and images use that name.
/// </summary>
public sealed record ServiceProject(string Project)
{
    private const string AdapterPrefix = "CCApi.Adapters.";

    public bool IsAdapter => Project.StartsWith(AdapterPrefix, StringComparison.Ordinal);

    /// <summary>The provider an adapter serves ("local" for CCApi.Adapters.Local).</summary>
    public string? Provider => IsAdapter ? Project[AdapterPrefix.Length..].ToLowerInvariant() : null;

    public string Name => IsAdapter ? $"adapter-{Provider}" : Project["CCApi.".Length..].Replace(".", "-", StringComparison.Ordinal).ToLowerInvariant();

    public string Image => $"ccapi/{Name}";

    public string Folder => $"services/{Project}";

    public string CsprojPath => $"{Folder}/{Project}.csproj";

    public XDocument Csproj => XDocument.Load(Repo.PathOf(CsprojPath));

    /// <summary>This project and every project it references, transitively, as repository-relative .csproj paths.</summary>
    public IReadOnlyList<string> ProjectClosure()
    {
        var seen = new List<string>();
        var pending = new Stack<string>([CsprojPath]);
        while (pending.TryPop(out var project))
        {
            if (seen.Contains(project))
            {
                continue;
            }

            seen.Add(project);
            var dir = Path.GetDirectoryName(Repo.PathOf(project))!;
            foreach (var reference in XDocument.Load(Repo.PathOf(project)).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Repo.Relative(Path.GetFullPath(Path.Combine(dir, include))));
            }
        }

        return seen;
    }

    public override string ToString() => Project;
}
