namespace CCApi.Contracts;

/// <summary>Every bus message names the job it belongs to and when it was produced.</summary>
public interface IJobMessage
{
    Guid JobId { get; }
    DateTimeOffset Timestamp { get; }
}

/// <summary>A command for a provider adapter: where it is routed and until when its answer is worth anything.</summary>
public interface IJobCommand : IJobMessage
{
    JobRoute Route { get; }
    DateTimeOffset? Deadline { get; }

    /// <summary>
    /// JobStatus registered the job (<see cref="RegisterJob"/>) before the command was sent, for a webhook to be delivered
    /// from its record: the outcome is then published as a persistent, confirmed event even when a caller also waits for
    /// it as the response. Only image jobs take a <c>webhook_url</c>; every other command answers false.
    /// </summary>
    bool Registered => false;
}

/// <summary>A job's successful outcome, with its priced usage.</summary>
public interface IJobResult : IJobMessage
{
    JobRoute Route { get; }
    Usage Usage { get; }

    /// <summary>
    /// How long the adapter spent on the provider call, measured by the adapter (added later: null from an adapter that
    /// predates it). The gateway subtracts it from its own request time to report its overhead.
    /// </summary>
    TimeSpan? ProviderDuration { get; }
}

public enum JobKind
{
    Chat,
    Image,
    Speech,
}

/// <summary>Job states in their only allowed order; a transition never moves to a lower rank.</summary>
public enum JobState
{
    Pending = 0,
    Processing = 1,
    Completed = 2,
    Failed = 3,
    Canceled = 4,
}

/// <summary>The CCAPI error object carried on the bus: what the client will see, plus the HTTP status.</summary>
public sealed record ErrorInfo
{
    public required string Message { get; init; }
    public required string Type { get; init; }
    public string? Code { get; init; }
    public int Status { get; init; } = 500;
    public IReadOnlyDictionary<string, string>? Details { get; init; }
}

/// <summary>A reference to bytes kept in the blob store; bytes themselves never travel on the bus.</summary>
public sealed record BlobRef
{
    public required string Id { get; init; }
    public required string ContentType { get; init; }
    public long Length { get; init; }
}

/// <summary>What a job consumed, and what it cost at the catalog's price.</summary>
public sealed record Usage
{
    public int PromptTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, those the provider served from its prompt cache (priced at the cached-input price).</summary>
    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    /// <summary>Of <see cref="CompletionTokens"/>, those a reasoning model spent thinking (billed as output).</summary>
    public int ReasoningTokens { get; init; }

    public int TotalTokens { get; init; }
    public int Images { get; init; }
    public int Characters { get; init; }
    public decimal Cost { get; init; }
    public string Currency { get; init; } = "USD";
}

/// <summary>Who asked and what for: the routing facts every command carries.</summary>
public sealed record JobRoute
{
    /// <summary>The id of the API key that owns the job (never the key itself).</summary>
    public required string OwnerId { get; init; }

    /// <summary>Provider name, e.g. "local", "openai".</summary>
    public required string Provider { get; init; }

    /// <summary>The public model id, e.g. "local/pixel-1".</summary>
    public required string Model { get; init; }

    /// <summary>The provider's own model id, e.g. "pixel-1".</summary>
    public required string ProviderModel { get; init; }

    /// <summary>The catalog's price for the model when the job was accepted; adapters price usage with it.</summary>
    public ModelPricing? Pricing { get; init; }
}
