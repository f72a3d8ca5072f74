using System.Diagnostics.CodeAnalysis;
using CCApi.Contracts;

namespace CCApi.Catalog;

// The public shapes of GET /models and GET /providers[/{name}] (spec 3.17–3.21), relayed by the gateway as they are.
// Serialized snake_case with nulls omitted.

public sealed record ModelListResponse(IReadOnlyList<ModelSummary> Data)
{
    public string Object { get; } = "list";

    /// <summary>More models match beyond this page (ask again with a larger <c>offset</c>).</summary>
    public bool HasMore { get; init; }
}

/// <summary>OpenAI's model object (id, object, created, owned_by) plus CCAPI's provider and ccapi members.</summary>
public sealed record ModelSummary
{
    public required string Id { get; init; }
    public string Object { get; } = "model";
    public required long Created { get; init; }
    public required string OwnedBy { get; init; }

    /// <summary>OpenAI's <c>shutdown_date</c> (YYYY-MM-DD): the day the model stops being served; absent when none is announced.</summary>
    public DateOnly? ShutdownDate { get; init; }

    public required ModelProvider Provider { get; init; }
    public required ModelDetails Ccapi { get; init; }
}

public sealed record ModelProvider(string Name, string DisplayName, bool IsFundamental);

public sealed record ModelDetails
{
    public required string DisplayName { get; init; }

    /// <summary>"chat", "image" or "audio" — what the <c>type</c> filter matches.</summary>
    public required string Type { get; init; }

    public required IReadOnlyList<string> InputModalities { get; init; }
    public required IReadOnlyList<string> OutputModalities { get; init; }
    public required ModelCapabilities Capabilities { get; init; }
    public required ModelPricing Pricing { get; init; }

    /// <summary>"sync" or "async".</summary>
    public required string Mode { get; init; }

    public double? EstimatedSeconds { get; init; }
    public bool Demo { get; init; }
    public string? Description { get; init; }

    /// <summary>The provider's live status: "available", "degraded" or "unavailable".</summary>
    public required string Status { get; init; }

    public IReadOnlyList<string>? Operations { get; init; }
    public IReadOnlyList<string>? Voices { get; init; }
    public IReadOnlyList<string>? Formats { get; init; }
    public int? MaxImageSize { get; init; }

    /// <summary>The model to move to before <see cref="ModelSummary.ShutdownDate"/>.</summary>
    public string? Replacement { get; init; }
}

public sealed record ProviderListResponse(IReadOnlyList<ProviderSummary> Data)
{
    public string Object { get; } = "list";
}

public record ProviderSummary
{
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    public bool IsFundamental { get; init; }
    public string? Description { get; init; }
    public string? Website { get; init; }
    public bool Demo { get; init; }

    /// <summary>Live: "available", "degraded" or "unavailable".</summary>
    public required string Status { get; init; }

    public string? StatusDetail { get; init; }

    /// <summary>Unix seconds of the last heartbeat; absent when none was ever received.</summary>
    public long? LastSeen { get; init; }

    public int ModelCount { get; init; }

    /// <summary>The distinct model types the provider serves, sorted.</summary>
    public required IReadOnlyList<string> Types { get; init; }

    /// <summary>Types for which any "{name}/{model}" outside the catalog is passed through to the provider (see <see cref="CCApi.Contracts.ProviderEntry.OpenModelTypes"/>).</summary>
    public IReadOnlyList<string>? OpenModelTypes { get; init; }
}

/// <summary>GET /providers/{name}: the summary plus the provider's models.</summary>
public sealed record ProviderDetail : ProviderSummary
{
    [SetsRequiredMembers]
    public ProviderDetail(ProviderSummary summary, IReadOnlyList<ModelSummary> models)
        : base(summary)
    {
        Models = models;
    }

    public IReadOnlyList<ModelSummary> Models { get; init; }
}
