using System.Text.Json;
using System.Text.RegularExpressions;

namespace CCApi.Deploy.Tests.Infrastructure;

/// <summary>
/// What configuration a service can read, from its sources and those of the projects it references: options classes
/// (SectionName + public properties), GetConnectionString("X") calls, configuration keys written as string literals,
/// and the keys of its appsettings.json. Good enough to fail when a key is renamed on one side only.
/// </summary>
public sealed partial class CodeIndex
{
    private static readonly Dictionary<string, CodeIndex> Cache = [];

    private readonly string _source;
    private readonly Dictionary<string, HashSet<string>> _optionsProperties = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _appSettingsKeys = new(StringComparer.OrdinalIgnoreCase);

    private CodeIndex(ServiceProject service)
    {
        Service = service;
        var files = service.ProjectClosure()
            .Select(p => Path.GetDirectoryName(Repo.PathOf(p))!)
            .SelectMany(dir => Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutput(Path.GetRelativePath(dir, f))))
            .ToList();
        _source = string.Join("\n", files.Select(File.ReadAllText));
        OwnSource = string.Join("\n", files.Where(f => Repo.Relative(f).StartsWith(service.Folder + "/", StringComparison.Ordinal)).Select(File.ReadAllText));

        foreach (var (section, properties) in OptionsClasses(_source))
        {
            _optionsProperties.TryAdd(section, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
            _optionsProperties[section].UnionWith(properties);
        }

        var appSettings = Repo.PathOf($"{service.Folder}/appsettings.json");
        if (File.Exists(appSettings))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(appSettings), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            Flatten(json.RootElement, "", _appSettingsKeys);
        }
    }

    public ServiceProject Service { get; }

    /// <summary>The service's own sources (not the shared projects').</summary>
    public string OwnSource { get; }

    /// <summary>True once the service declares an options class of its own (it is past the skeleton stage).</summary>
    public bool HasOwnOptions => SectionNameRegex().IsMatch(OwnSource);

    public IReadOnlySet<string> AppSettingsKeys => _appSettingsKeys;

    public static CodeIndex For(ServiceProject service)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(service.Project, out var index))
            {
                Cache[service.Project] = index = new CodeIndex(service);
            }

            return index;
        }
    }

    /// <summary>Why a configuration key (colon form) is read by this service, or null when nothing reads it.</summary>
    public string? Explain(string key)
    {
        // Connection strings count only when code asks for them: appsettings.json templates list both for every service.
        var parts = key.Split(':');
        if (parts is ["ConnectionStrings", var name])
        {
            return _source.Contains($"GetConnectionString(\"{name}\")", StringComparison.Ordinal)
                ? $"GetConnectionString(\"{name}\")"
                : null;
        }

        if (_source.Contains($"\"{key}\"", StringComparison.OrdinalIgnoreCase))
        {
            return $"string literal \"{key}\"";
        }

        // A section owned by an options class: only its properties count (appsettings.json may still carry a key the
        // class no longer has, which binding silently ignores).
        if (parts is [var section, var property] && _optionsProperties.TryGetValue(section, out var properties))
        {
            return properties.Contains(property) ? $"options class with SectionName \"{section}\", property {property}" : null;
        }

        // Framework keys (Urls, Logging:*, AllowedHosts): the service's appsettings.json sets them.
        if (_appSettingsKeys.Contains(key))
        {
            return $"appsettings.json of {Service.Project}";
        }

        return null;
    }

    public bool DeclaresSection(string section) => _optionsProperties.ContainsKey(section);

    /// <summary>
    /// Keys of the service's own options that are [Required] and have no default in code: a deployment that does not
    /// set them fails at start (ValidateOnStart).
    /// </summary>
    public IReadOnlyList<string> RequiredWithoutDefault()
    {
        var keys = new List<string>();
        foreach (Match cls in ClassRegex().Matches(OwnSource))
        {
            var body = ClassBody(OwnSource, OwnSource.IndexOf('{', cls.Index + cls.Length - 1));
            var section = SectionNameRegex().Match(body);
            if (!section.Success)
            {
                continue;
            }

            keys.AddRange(AttributedPropertyRegex().Matches(body)
                .Where(p => p.Groups["attrs"].Value.Contains("[Required", StringComparison.Ordinal) && !p.Groups["init"].Success)
                .Select(p => $"{section.Groups["name"].Value}:{p.Groups["name"].Value}"));
        }

        return keys;
    }

    /// <summary>(SectionName, public property names) of every class that declares a SectionName constant.</summary>
    private static IEnumerable<(string Section, IReadOnlyList<string> Properties)> OptionsClasses(string source)
    {
        foreach (Match cls in ClassRegex().Matches(source))
        {
            var open = source.IndexOf('{', cls.Index + cls.Length - 1);
            var body = ClassBody(source, open);
            var section = SectionNameRegex().Match(body);
            if (section.Success)
            {
                yield return (section.Groups["name"].Value, PropertyRegex().Matches(body).Select(m => m.Groups["name"].Value).ToList());
            }
        }
    }

    /// <summary>The text between a '{' and its matching '}', skipping comments, string and char literals.</summary>
    private static string ClassBody(string source, int open)
    {
        var depth = 0;
        var i = open;
        while (i < source.Length)
        {
            var c = source[i];
            var next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                i = EndOrLength(source.IndexOf('\n', i));
            }
            else if (c == '/' && next == '*')
            {
                i = EndOrLength(source.IndexOf("*/", i + 2, StringComparison.Ordinal)) + 2;
            }
            else if (c == '"')
            {
                var verbatim = i > 0 && source[i - 1] == '@';
                for (i++; i < source.Length; i++)
                {
                    if (!verbatim && source[i] == '\\')
                    {
                        i++;
                    }
                    else if (source[i] == '"' && verbatim && i + 1 < source.Length && source[i + 1] == '"')
                    {
                        i++;
                    }
                    else if (source[i] == '"')
                    {
                        break;
                    }
                }

                i++;
            }
            else if (c == '\'')
            {
                i = EndOrLength(source.IndexOf('\'', next == '\\' ? i + 3 : i + 2)) + 1;
            }
            else
            {
                if (c == '{')
                {
                    depth++;
                }
                else if (c == '}' && --depth == 0)
                {
                    return source[(open + 1)..i];
                }

                i++;
            }
        }

        return source[(open + 1)..];

        int EndOrLength(int index) => index < 0 ? source.Length : index;
    }

    private static void Flatten(JsonElement element, string prefix, HashSet<string> keys)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            keys.Add(prefix);
            return;
        }

        foreach (var property in element.EnumerateObject())
        {
            var key = prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}";
            keys.Add(key);
            Flatten(property.Value, key, keys);
        }
    }

    private static bool IsBuildOutput(string relative)
    {
        var first = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)[0];
        return first is "bin" or "obj";
    }

    [GeneratedRegex(@"\bclass\s+\w+[^{;]*\{")]
    private static partial Regex ClassRegex();

    [GeneratedRegex(@"const\s+string\s+SectionName\s*=\s*""(?<name>[^""]+)""")]
    private static partial Regex SectionNameRegex();

    [GeneratedRegex(@"(?<attrs>(?:\[[^\]]*\]\s*)*)public\s+(?:required\s+)?[\w<>?,.\[\]\s]+?\s+(?<name>\w+)\s*\{\s*get;\s*(?:set|init);\s*\}(?<init>\s*=)?")]
    private static partial Regex AttributedPropertyRegex();

    [GeneratedRegex(@"public\s+(?:required\s+)?[\w<>?,.\[\]\s]+?\s+(?<name>\w+)\s*\{\s*get;")]
    private static partial Regex PropertyRegex();
}
