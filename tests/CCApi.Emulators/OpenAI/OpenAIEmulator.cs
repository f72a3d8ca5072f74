using Microsoft.AspNetCore.Builder;

namespace CCApi.Emulators.OpenAI;

/// <summary>
/// OpenAI's documented wire protocol: POST /v1/chat/completions (JSON, or SSE "data: {chunk}\n\n" … "data: [DONE]\n\n"),
/// POST /v1/images/generations, POST /v1/images/edits (multipart), POST /v1/audio/speech. Checks "Authorization: Bearer &lt;key&gt;", validates request
/// shapes and answers errors as <c>{"error":{"message","type","param","code"}}</c>.
/// </summary>
public sealed class OpenAIEmulator(string apiKey = OpenAIEmulator.DefaultApiKey) : Emulator(apiKey)
{
    public const string DefaultApiKey = "sk-emulator-0123456789";

    /// <summary>The OpenAI-style base URL, ending in /v1.</summary>
    public override string BaseUrl => Origin + "/v1";

    /// <summary>Answer image generations with URLs whatever was asked (as some OpenAI-compatible servers do).</summary>
    public bool AnswerImagesWithUrls { get; set; }

    /// <summary>
    /// When set, every chat stream pauses after its first content chunk until this completes — a stream a test can cut
    /// (or watch) while the provider is provably still in the middle of it.
    /// </summary>
    public TaskCompletionSource? HoldStreams { get; set; }

    /// <summary>The token counts the emulator reports in a speech's <c>speech.audio.done</c>: a text token per ~4 characters, 1.5 audio tokens a character.</summary>
    public static (int Input, int Output) SpeechTokens(string input) => ((input.Length + 3) / 4, input.Length * 3 / 2);

    /// <summary>The least prompt (emulated tokens) OpenAI caches, and the increments its cache hits come in (its prompt caching guide).</summary>
    public const int PromptCacheMinimum = 1024, PromptCacheIncrement = 128;

    private readonly LinkedList<string> _prompts = new();

    public static Task<OpenAIEmulator> StartAsync(string apiKey = DefaultApiKey, int port = 0) => StartAsync(new OpenAIEmulator(apiKey), port);

    /// <summary>
    /// OpenAI's prompt caching, as its guide describes it: a prompt of <see cref="PromptCacheMinimum"/> tokens or more is
    /// cached, and a later prompt that starts with the same text is served that prefix from the cache, in increments of
    /// <see cref="PromptCacheIncrement"/> tokens from the minimum. Here a prompt is its messages' JSON, a token 4 characters
    /// (as the emulator counts <c>prompt_tokens</c>), and the cache the last 64 prompts of this emulator. Answers the
    /// <c>cached_tokens</c> of <paramref name="prompt"/> and remembers it.
    /// </summary>
    public int CachedTokens(string prompt, int promptTokens)
    {
        lock (_prompts)
        {
            var longest = _prompts.Count == 0 ? 0 : _prompts.Max(seen => prompt.AsSpan().CommonPrefixLength(seen));
            if (promptTokens >= PromptCacheMinimum)
            {
                _prompts.AddFirst(prompt);
                if (_prompts.Count > 64)
                {
                    _prompts.RemoveLast();
                }
            }

            var tokens = Math.Min(longest / 4, promptTokens);
            return tokens < PromptCacheMinimum ? 0 : tokens / PromptCacheIncrement * PromptCacheIncrement;
        }
    }

    /// <summary>Reasoning tokens a reasoning model (o1, o3, o4, gpt-5 families) spends per choice before it answers.</summary>
    public const int ReasoningTokensPerChoice = 64;

    public static bool IsReasoningModel(string model) =>
        model.StartsWith("o1", StringComparison.Ordinal) || model.StartsWith("o3", StringComparison.Ordinal)
        || model.StartsWith("o4", StringComparison.Ordinal) || model.StartsWith("gpt-5", StringComparison.Ordinal);

    public override void Reset()
    {
        base.Reset();
        lock (_prompts)
        {
            _prompts.Clear();
        }

        AnswerImagesWithUrls = false;
        HoldStreams?.TrySetResult();
        HoldStreams = null;
    }

    protected override void MapEndpoints(WebApplication app)
    {
        var endpoints = new OpenAIEndpoints(this);
        app.MapPost("/v1/chat/completions", endpoints.ChatAsync);
        app.MapPost("/v1/images/generations", endpoints.ImagesAsync);
        app.MapPost("/v1/images/edits", endpoints.EditsAsync);
        app.MapPost("/v1/images/variations", endpoints.VariationsAsync);
        app.MapPost("/v1/audio/speech", endpoints.SpeechAsync);
        app.MapGet("/files/{name}", OpenAIEndpoints.File);
    }
}
