using System.Text.Json;
using System.Text.Json.Serialization;

namespace CCApi.Gateway.Api;

// Request bodies are tolerant readers: every field nullable (the validator names what is missing), string-or-object
// unions as JsonElement, and unknown OpenAI fields kept in ExtensionData so they can be passed through.

/// <summary>POST /v1/chat/completions (spec 3.6, OpenAI-compatible).</summary>
public sealed class ChatCompletionRequestBody
{
    public string? Model { get; set; }
    public List<string?>? Models { get; set; }
    public List<ChatMessageBody?>? Messages { get; set; }
    public bool? Stream { get; set; }
    public StreamOptionsBody? StreamOptions { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? MaxTokens { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public int? N { get; set; }
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public string? User { get; set; }
    public JsonElement? Metadata { get; set; }
    public List<ChatToolBody?>? Tools { get; set; }
    public JsonElement? ToolChoice { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

public sealed class StreamOptionsBody
{
    public bool? IncludeUsage { get; set; }
}

public sealed class ChatMessageBody
{
    public string? Role { get; set; }

    /// <summary>A string, an OpenAI content-part array, or null (assistant tool-call messages).</summary>
    public JsonElement? Content { get; set; }

    public string? Name { get; set; }
    public string? ToolCallId { get; set; }
    public List<ToolCallBody?>? ToolCalls { get; set; }
}

public sealed class ToolCallBody
{
    public string? Id { get; set; }
    public string? Type { get; set; }
    public FunctionCallBody? Function { get; set; }
}

public sealed class FunctionCallBody
{
    public string? Name { get; set; }
    public string? Arguments { get; set; }
}

public sealed class ChatToolBody
{
    public string? Type { get; set; }
    public FunctionDefinitionBody? Function { get; set; }
}

public sealed class FunctionDefinitionBody
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public JsonElement? Parameters { get; set; }
    public bool? Strict { get; set; }
}

/// <summary>OpenAI <c>chat.completion</c> plus our <c>provider</c> (spec 3.7).</summary>
public sealed record ChatCompletionResponse(
    [property: JsonPropertyOrder(-2)] string Id,
    long Created,
    string Model,
    string Provider,
    IReadOnlyList<ChatChoiceResponse> Choices,
    UsageResponse Usage,
    string? SystemFingerprint)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion";
}

public sealed record ChatChoiceResponse(int Index, ChatMessageResponse Message, string FinishReason)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}

public sealed record ChatMessageResponse(
    string Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content,
    IReadOnlyList<ToolCallResponse>? ToolCalls);

public sealed record ToolCallResponse(string Id, FunctionCallResponse Function)
{
    public string Type => "function";
}

public sealed record FunctionCallResponse(string Name, string Arguments);

/// <summary>
/// OpenAI's usage — with its <c>prompt_tokens_details.cached_tokens</c> (prompt tokens the provider served from its prompt
/// cache, billed at the model's cached-input price) and <c>completion_tokens_details.reasoning_tokens</c> — plus
/// <c>cost_usd</c> (ours): the job's cost at the catalog's price, null for an unpriced model.
/// </summary>
public sealed record UsageResponse(
    int PromptTokens,
    int CompletionTokens,
    int TotalTokens,
    PromptTokensDetails PromptTokensDetails,
    CompletionTokensDetails CompletionTokensDetails,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] decimal? CostUsd = null)
{
    public static UsageResponse Of(Usage usage, decimal? costUsd) => new(
        usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens,
        new PromptTokensDetails(usage.CachedPromptTokens), new CompletionTokensDetails(usage.ReasoningTokens), costUsd);
}

public sealed record PromptTokensDetails(int CachedTokens);

public sealed record CompletionTokensDetails(int ReasoningTokens);

/// <summary>OpenAI <c>chat.completion.chunk</c> (one SSE event).</summary>
public sealed record ChatCompletionChunk(
    [property: JsonPropertyOrder(-2)] string Id,
    long Created,
    string Model,
    string Provider,
    IReadOnlyList<ChunkChoice> Choices,
    UsageResponse? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion.chunk";
}

public sealed record ChunkChoice(
    int Index,
    ChunkDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}

public sealed record ChunkDelta(string? Role, string? Content, IReadOnlyList<ToolCallChunk>? ToolCalls);

public sealed record ToolCallChunk(int Index, string? Id, string? Type, FunctionCallChunk? Function);

public sealed record FunctionCallChunk(string? Name, string? Arguments);
