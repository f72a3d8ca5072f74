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

    public static Task<OpenAIEmulator> StartAsync(string apiKey = DefaultApiKey, int port = 0) => StartAsync(new OpenAIEmulator(apiKey), port);

    public override void Reset()
    {
        base.Reset();
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
