namespace CCApi.Contracts;

/// <summary>Command: complete a chat conversation. Sent to the "{provider}-chat" queue.</summary>
/// <remarks>
/// Non-streaming: sent as a request; the adapter responds with <see cref="ChatCompleted"/> or <see cref="JobFailed"/>.
/// Streaming: sent; the adapter appends <see cref="ChatStreamDelta"/> entries to the job's Redis stream.
/// </remarks>
public sealed record ChatCompletion : IJobCommand
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public IReadOnlyList<ChatTool>? Tools { get; init; }

    /// <summary>"none", "auto", "required", or null; see <see cref="ToolChoiceFunction"/>.</summary>
    public string? ToolChoice { get; init; }

    /// <summary>Set when the client forced one function (tool_choice object form).</summary>
    public string? ToolChoiceFunction { get; init; }

    public IReadOnlyList<string>? Stop { get; init; }
    public long? Seed { get; init; }
    public string? User { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    /// <summary>How many choices to generate (OpenAI's <c>n</c>); null means one.</summary>
    public int? N { get; init; }

    /// <summary>OpenAI parameters the platform does not model, as a raw JSON object, passed through untouched.</summary>
    public string? ExtraParametersJson { get; init; }

    /// <summary>When the edge stops waiting; work past it is wasted.</summary>
    public DateTimeOffset? Deadline { get; init; }
}

public sealed record ChatMessage
{
    public required string Role { get; init; }

    /// <summary>Plain text content (null for assistant tool-call messages or when parts are given).</summary>
    public string? Content { get; init; }

    /// <summary>OpenAI content-part array as raw JSON, when the client sent parts instead of a string.</summary>
    public string? ContentPartsJson { get; init; }

    public string? Name { get; init; }
    public string? ToolCallId { get; init; }
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
}

public sealed record ChatTool
{
    public string Type { get; init; } = "function";
    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary>JSON Schema of the arguments, as raw JSON.</summary>
    public string? ParametersJson { get; init; }
}

public sealed record ToolCall
{
    public required string Id { get; init; }
    public string Type { get; init; } = "function";
    public required string Name { get; init; }

    /// <summary>Arguments as a JSON string (OpenAI form).</summary>
    public required string Arguments { get; init; }
}

public sealed record ChatChoice
{
    public int Index { get; init; }
    public required ChatMessage Message { get; init; }

    /// <summary>"stop", "length", "tool_calls" or "content_filter".</summary>
    public required string FinishReason { get; init; }
}

/// <summary>Event: a chat completion finished. Also the response to a non-streaming request.</summary>
public sealed record ChatCompleted : IJobResult
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }
    public required IReadOnlyList<ChatChoice> Choices { get; init; }
    public required Usage Usage { get; init; }
    public string? SystemFingerprint { get; init; }

    /// <inheritdoc cref="IJobResult.ProviderDuration"/>
    public TimeSpan? ProviderDuration { get; init; }
}

/// <summary>
/// One entry of a streaming chat's Redis stream (not a bus message). Exactly one of the kinds:
/// a delta (role/content/tool calls/finish reason), the final usage, or an error; "done" ends the stream.
/// </summary>
public sealed record ChatStreamDelta
{
    /// <summary>The choice a delta or finish reason belongs to (its <c>index</c>): 0 unless the request asked for n &gt; 1.</summary>
    public int Choice { get; init; }

    public string? Role { get; init; }
    public string? Content { get; init; }
    public IReadOnlyList<ToolCallDelta>? ToolCalls { get; init; }
    public string? FinishReason { get; init; }
    public Usage? Usage { get; init; }
    public ErrorInfo? Error { get; init; }
    public bool Done { get; init; }
}

public sealed record ToolCallDelta
{
    public int Index { get; init; }
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? ArgumentsFragment { get; init; }
}
