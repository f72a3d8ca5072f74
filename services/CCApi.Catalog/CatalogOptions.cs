using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Catalog;

public sealed class CatalogOptions
{
    public const string SectionName = "Catalog";

    /// <summary>
    /// The catalog definition file (deploy/catalog.json). A relative path is looked up against the content root first,
    /// then against the current directory.
    /// </summary>
    [Required(ErrorMessage = "Catalog:DefinitionPath is required: the path of the catalog definition file, e.g. deploy/catalog.json.")]
    public string? DefinitionPath { get; set; }

    /// <summary>A provider with no heartbeat for this long is reported "unavailable".</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "01:00:00", ErrorMessage = "Catalog:HeartbeatTimeout must be between 200 ms and 1 h.")]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the definition file is checked for changes; zero turns watching off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Catalog:WatchInterval must be between 0 (off) and 1 h.")]
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="CatalogOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class CatalogOptionsValidator : IValidateOptions<CatalogOptions>;
