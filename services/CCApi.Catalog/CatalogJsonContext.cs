using System.Text.Json;
using System.Text.Json.Serialization;
using CCApi.Contracts;

namespace CCApi.Catalog;

/// <summary>
/// Source-generated JSON for the definition file and every response of this service (snake_case, nulls omitted).
/// Comments and trailing commas are tolerated when reading the hand-edited definition file.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(CatalogDocument))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(ModelSummary))]
[JsonSerializable(typeof(ProviderListResponse))]
[JsonSerializable(typeof(ProviderDetail))]
public sealed partial class CatalogJsonContext : JsonSerializerContext;
