using System.Text.Json;
using System.Text.RegularExpressions;
using CCApi.Contracts;

namespace CCApi.Catalog;

/// <summary>Reads and checks the catalog definition file (<c>deploy/catalog.json</c>, snake_case).</summary>
public static partial class CatalogDefinition
{
    public static readonly IReadOnlyList<string> ModelTypes = ["chat", "image", "audio"];
    public static readonly IReadOnlyList<string> Modes = ["sync", "async"];

    /// <summary>An absolute path as is; a relative one against the content root, then the current directory.</summary>
    public static string ResolvePath(string configured, string contentRoot, string currentDirectory)
    {
        if (Path.IsPathRooted(configured))
        {
            return configured;
        }

        var candidates = new[] { Path.GetFullPath(configured, contentRoot), Path.GetFullPath(configured, currentDirectory) };
        return candidates.FirstOrDefault(File.Exists) ?? throw new CatalogDefinitionException(
            $"Catalog definition '{configured}' (Catalog:DefinitionPath) was not found; looked in {string.Join(" and ", candidates.Distinct())}.");
    }

    public static CatalogDocument Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CatalogDefinitionException($"Catalog definition '{path}' cannot be read: {ex.Message}", ex);
        }

        return Parse(json, path);
    }

    /// <summary>Deserializes and validates; every problem found is listed in one exception.</summary>
    public static CatalogDocument Parse(string json, string source)
    {
        CatalogDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, CatalogJsonContext.Default.CatalogDocument);
        }
        catch (JsonException ex)
        {
            throw new CatalogDefinitionException($"Catalog definition '{source}' is not valid JSON for the catalog schema: {ex.Message}", ex);
        }

        if (document is null)
        {
            throw new CatalogDefinitionException($"Catalog definition '{source}' is empty.");
        }

        var problems = Validate(document);
        if (problems.Count > 0)
        {
            throw new CatalogDefinitionException(
                $"Catalog definition '{source}' is invalid:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}");
        }

        return document;
    }

    public static IReadOnlyList<string> Validate(CatalogDocument document)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(document.Version))
        {
            problems.Add("version must not be empty.");
        }

        var providers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Providers.Count; i++)
        {
            var provider = document.Providers[i];
            if (provider.Name is null || !ProviderName().IsMatch(provider.Name))
            {
                problems.Add($"providers[{i}].name '{provider.Name}' must be lowercase letters, digits, '.', '_' or '-'.");
            }
            else if (!providers.Add(provider.Name))
            {
                problems.Add($"providers[{i}].name '{provider.Name}' is defined more than once.");
            }

            if (string.IsNullOrWhiteSpace(provider.DisplayName))
            {
                problems.Add($"providers[{i}].display_name must not be empty.");
            }

            foreach (var type in provider.OpenModelTypes ?? [])
            {
                if (!ModelTypes.Contains(type))
                {
                    problems.Add($"providers[{i}].open_model_types: '{type}' is not one of {string.Join(", ", ModelTypes)}.");
                }
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Models.Count; i++)
        {
            var model = document.Models[i];
            var where = $"models[{i}] ('{model.Id}')";
            if (!ids.Add(model.Id))
            {
                problems.Add($"{where}: id is defined more than once.");
            }

            if (model.Id != $"{model.Provider}/{model.ProviderModel}")
            {
                problems.Add($"{where}: id must be provider + \"/\" + provider_model ('{model.Provider}/{model.ProviderModel}').");
            }

            if (!providers.Contains(model.Provider))
            {
                problems.Add($"{where}: provider '{model.Provider}' is not defined in providers.");
            }

            if (!ModelTypes.Contains(model.Type))
            {
                problems.Add($"{where}: type '{model.Type}' must be one of {string.Join(", ", ModelTypes)}.");
            }

            if (!Modes.Contains(model.Mode))
            {
                problems.Add($"{where}: mode '{model.Mode}' must be one of {string.Join(", ", Modes)}.");
            }

            if (string.IsNullOrWhiteSpace(model.DisplayName))
            {
                problems.Add($"{where}: display_name must not be empty.");
            }

            var pricing = model.Pricing;
            foreach (var (field, price) in new[]
            {
                ("input_per_million", pricing.InputPerMillion), ("cached_input_per_million", pricing.CachedInputPerMillion),
                ("output_per_million", pricing.OutputPerMillion), ("per_image", pricing.PerImage), ("per_character", pricing.PerCharacter),
            })
            {
                if (price is < 0)
                {
                    problems.Add($"{where}: pricing.{field} must not be negative.");
                }
            }

            if (pricing.CachedInputPerMillion is not null && pricing.InputPerMillion is null)
            {
                problems.Add($"{where}: pricing.cached_input_per_million needs pricing.input_per_million (cached input is a discount on it).");
            }

            if (model.Capabilities.ImageInputTokens is < 0)
            {
                problems.Add($"{where}: capabilities.image_input_tokens must not be negative.");
            }

            foreach (var format in model.Capabilities.ResponseFormats ?? [])
            {
                if (!ModelCapabilities.AllResponseFormats.Contains(format))
                {
                    problems.Add($"{where}: capabilities.response_formats: '{format}' is not one of {string.Join(", ", ModelCapabilities.AllResponseFormats)}.");
                }
            }

            foreach (var option in model.Capabilities.ImageOptions ?? [])
            {
                if (!ModelCapabilities.AllImageOptions.Contains(option))
                {
                    problems.Add($"{where}: capabilities.image_options: '{option}' is not one of {string.Join(", ", ModelCapabilities.AllImageOptions)}.");
                }
            }

            foreach (var size in model.Capabilities.ImageSizes ?? [])
            {
                if (!ImageSize().IsMatch(size))
                {
                    problems.Add($"{where}: capabilities.image_sizes: '{size}' is not WIDTHxHEIGHT (e.g. 1024x1024).");
                }
            }

            foreach (var quality in model.Capabilities.ImageQualities ?? [])
            {
                if (!ModelCapabilities.AllImageQualities.Contains(quality))
                {
                    problems.Add($"{where}: capabilities.image_qualities: '{quality}' is not one of {string.Join(", ", ModelCapabilities.AllImageQualities)}.");
                }
            }

            if (model.Capabilities.ImageStyles?.Any(string.IsNullOrWhiteSpace) == true)
            {
                problems.Add($"{where}: capabilities.image_styles must not hold an empty style.");
            }

            if (model.Capabilities.ImageResponseFormat is { } imageFormat && !ModelCapabilities.AllImageResponseFormats.Contains(imageFormat))
            {
                problems.Add($"{where}: capabilities.image_response_format: '{imageFormat}' is not one of {string.Join(", ", ModelCapabilities.AllImageResponseFormats)}.");
            }
        }

        CheckReplacements(document, problems);
        return problems;
    }

    /// <summary>
    /// A model's <c>replacement</c> is another model of its type that can be called: one in the catalog, or a
    /// "{provider}/{model}" a provider passes through for that type (<c>open_model_types</c>, e.g. a newer OpenAI model
    /// not priced here).
    /// </summary>
    private static void CheckReplacements(CatalogDocument document, List<string> problems)
    {
        for (var i = 0; i < document.Models.Count; i++)
        {
            var model = document.Models[i];
            if (model.Replacement is not { } replacement)
            {
                continue;
            }

            var where = $"models[{i}] ('{model.Id}'): replacement '{replacement}'";
            var slash = replacement.IndexOf('/', StringComparison.Ordinal);
            var known = document.Models.FirstOrDefault(m => m.Id == replacement);
            var open = slash > 0 && slash < replacement.Length - 1
                && document.Providers.Any(p => p.Name == replacement[..slash] && (p.OpenModelTypes ?? []).Contains(model.Type));
            if (replacement == model.Id)
            {
                problems.Add($"{where} is the model itself.");
            }
            else if (known is null && !open)
            {
                problems.Add($"{where} is neither a model of the catalog nor a model of type {model.Type} a provider passes through (open_model_types).");
            }
            else if (known is not null && known.Type != model.Type)
            {
                problems.Add($"{where} is a model of type {known.Type}; a model of type {model.Type} needs a replacement of its type.");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex ProviderName();

    [GeneratedRegex("^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$")]
    private static partial Regex ImageSize();
}

/// <summary>The definition file is missing, unreadable or inconsistent; the message says exactly what and where.</summary>
public sealed class CatalogDefinitionException(string message, Exception? inner = null) : Exception(message, inner);
