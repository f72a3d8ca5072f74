using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CCApi.Emulators.StabilityAI;

/// <summary>
/// Stability AI's v1 REST API (https://api.stability.ai): POST /v1/generation/{engine_id}/text-to-image (JSON),
/// POST /v1/generation/{engine_id}/image-to-image and …/image-to-image/masking (multipart/form-data), GET /v1/engines/list. Checks
/// "Authorization: Bearer &lt;key&gt;", validates request shapes the way the API reference describes and answers errors as
/// <c>{"id","name","message"}</c>; success is <c>{"artifacts":[{"base64","seed","finishReason"}]}</c> with real PNGs.
/// </summary>
/// <remarks>
/// Prompt words that steer the emulator (Stability's own behaviour, made reproducible): a prompt containing
/// <see cref="FilteredWord"/> is refused with 400 <c>invalid_prompts</c>; one containing <see cref="BlurredWord"/> comes
/// back with <c>finishReason: CONTENT_FILTERED</c>; one containing <see cref="ErrorWord"/> with <c>finishReason: ERROR</c>.
/// A key starting with <see cref="ForbiddenKeyPrefix"/> is a valid key without permission (403 permission_denied).
/// </remarks>
public sealed class StabilityAIEmulator(string apiKey = StabilityAIEmulator.DefaultApiKey) : Emulator(apiKey)
{
    public const string DefaultApiKey = "sk-stability-emulator-0123456789";
    public const string ForbiddenKeyPrefix = "sk-forbidden-";
    public const string FilteredWord = "forbidden-word";
    public const string BlurredWord = "blur-me";
    public const string ErrorWord = "fail-this-image";

    /// <summary>The engines the emulator knows (GET /v1/engines/list); any other engine id is a 404.</summary>
    public static readonly IReadOnlyList<string> Engines = ["stable-diffusion-xl-1024-v1-0", "stable-diffusion-v1-6"];

    private readonly ConcurrentDictionary<string, byte[]> _files = new();
    private readonly ConcurrentDictionary<string, string> _fileTypes = new();

    /// <summary>Stability's base URL has no path prefix (the paths start with /v1).</summary>
    public override string BaseUrl => Origin;

    /// <summary>The multipart form of every image-to-image request, in arrival order (file parts as their bytes).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, object>> Forms { get; } = new();

    public static Task<StabilityAIEmulator> StartAsync(string apiKey = DefaultApiKey, int port = 0) => StartAsync(new StabilityAIEmulator(apiKey), port);

    /// <summary>Test helper (not part of Stability's API): serves <paramref name="bytes"/> at a URL on the emulator.</summary>
    public string HostFile(byte[] bytes, string contentType = "image/png")
    {
        var name = Guid.NewGuid().ToString("N");
        _files[name] = bytes;
        _fileTypes[name] = contentType;
        return $"{Origin}/_emulator/files/{name}";
    }

    public override void Reset()
    {
        base.Reset();
        Forms.Clear();
    }

    protected override void MapEndpoints(WebApplication app)
    {
        var endpoints = new StabilityAIEndpoints(this);
        app.MapPost("/v1/generation/{engine_id}/text-to-image", endpoints.TextToImageAsync);
        app.MapPost("/v1/generation/{engine_id}/image-to-image", endpoints.ImageToImageAsync);
        app.MapPost("/v1/generation/{engine_id}/image-to-image/masking", endpoints.MaskingAsync);
        app.MapGet("/v1/engines/list", endpoints.ListEnginesAsync);
        app.MapGet("/_emulator/files/{name}", (string name) =>
            _files.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, _fileTypes[name]) : Results.NotFound());
    }
}
