using Microsoft.Net.Http.Headers;

namespace CCApi.Gateway.Catalog;

/// <summary>Model lookups with the public API's errors.</summary>
public static class ModelResolution
{
    /// <summary>
    /// The model named by <paramref name="id"/> (read from <paramref name="field"/>), of catalog type
    /// <paramref name="type"/> ("chat", "image", "audio"). Unknown → 400 model_not_found; wrong type → 400.
    /// </summary>
    public static ModelEntry Resolve(CatalogView catalog, string? id, string field, string type, string route)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw ApiException.Missing(field);
        }

        var model = catalog.FindModel(id)
            ?? PassThrough(catalog, id, type)
            ?? throw ApiException.BadField(field,
                $"The model '{Truncate(id)}' does not exist. '{field}' must be a model id from GET /v1/models, e.g. 'local/echo-1'.",
                ErrorCodes.ModelNotFound);
        if (!string.Equals(model.Type, type, StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadField(field,
                $"The model '{model.Id}' in '{field}' is a model of type {model.Type}; {route} needs a model of type {type}.",
                ErrorCodes.InvalidRequest);
        }

        return model;
    }

    /// <summary>
    /// "{provider}/{model}" outside the catalog, for a provider that passes <paramref name="type"/> models through
    /// (<see cref="ProviderEntry.OpenModelTypes"/>): "{model}" goes to the provider as its own id, unpriced.
    /// </summary>
    public static ModelEntry? PassThrough(CatalogView catalog, string id, string type)
    {
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == id.Length - 1 || id.Length > MaxPassThroughId || id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return null;
        }

        var provider = catalog.FindProvider(id[..slash]);
        if (provider?.OpenModelTypes is not { } types || !types.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var providerModel = id[(slash + 1)..];
        return new ModelEntry
        {
            Id = $"{provider.Name}/{providerModel}",
            Provider = provider.Name,
            ProviderModel = providerModel,
            DisplayName = providerModel,
            Type = type,
            OwnedBy = provider.Name,
            InputModalities = ["text", "image", "audio"], // unknown to the catalog: the provider judges what it takes
            OutputModalities = ["text", "image", "audio"], // … and what it answers
            Capabilities = new ModelCapabilities { Streaming = type == "chat", FunctionCalling = type == "chat" },
        };
    }

    private const int MaxPassThroughId = 256;

    /// <summary>RFC 8594's header: the time after which the resource will not answer.</summary>
    public const string SunsetHeader = "Sunset";

    /// <summary>
    /// 400 model_not_found naming <paramref name="field"/>, for a model whose <see cref="ModelEntry.ShutdownDate"/> has come:
    /// the provider no longer serves it (OpenAI answers such a model "does not exist"); the message and details name the
    /// day and the replacement, when the catalog has one.
    /// </summary>
    public static ApiException ShutDown(ModelEntry model, string field)
    {
        var day = model.ShutdownDate!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var details = new Dictionary<string, string> { ["param"] = field, ["model"] = model.Id, ["shutdown_date"] = day };
        var advice = "; choose another model from GET /v1/models.";
        if (model.Replacement is { } replacement)
        {
            details["replacement"] = replacement;
            advice = $"; use '{replacement}' instead.";
        }

        return new ApiException(400, ErrorTypes.InvalidRequest, ErrorCodes.ModelNotFound,
            $"The model '{model.Id}' was shut down on {day} and is no longer served{advice}", details);
    }

    /// <summary>
    /// A model with a <see cref="ModelEntry.ShutdownDate"/> still to come answers with RFC 8594's <c>Sunset</c> header (the
    /// start of that day, UTC), so clients and their operators see the end coming in every response.
    /// </summary>
    public static void AnnounceSunset(HttpResponse response, ModelEntry model)
    {
        if (model.ShutdownDate is { } day)
        {
            response.Headers[SunsetHeader] = HeaderUtilities.FormatDate(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        }
    }

    /// <summary>503 provider_unavailable, answered at once, when the model's provider is down.</summary>
    public static ApiException Unavailable(ModelEntry model) =>
        new(503, ErrorTypes.Api, ErrorCodes.ProviderUnavailable,
            $"The provider '{model.Provider}' serving '{model.Id}' is unavailable right now; retry later or choose another model.",
            new Dictionary<string, string> { ["provider"] = model.Provider, ["model"] = model.Id });

    public static void EnsureAvailable(CatalogView catalog, ModelEntry model)
    {
        if (!catalog.IsAvailable(model))
        {
            throw Unavailable(model);
        }
    }

    /// <summary>The job's route for <paramref name="caller"/>; 403 model_not_allowed when the key may not use the model.</summary>
    public static JobRoute Route(ModelEntry model, ApiCaller caller)
    {
        caller.EnsureAllowed(model);
        return Route(model, caller.KeyId);
    }

    private static JobRoute Route(ModelEntry model, string ownerId) => new()
    {
        OwnerId = ownerId,
        Provider = model.Provider,
        Model = model.Id,
        ProviderModel = model.ProviderModel,
        Pricing = model.Pricing,
    };

    private static string Truncate(string value) => value.Length <= 100 ? value : value[..100] + "…";
}
