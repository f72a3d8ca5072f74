using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;

namespace CCApi.Emulators.ElevenLabs;

/// <summary>A voice the emulated account has. Legacy premade voices are listed only with show_legacy=true.</summary>
public sealed record EmulatedVoice(string Id, string Name, string Category = "premade", bool Legacy = false);

/// <summary>One text-to-speech call as received: the voice id of the path, the output_format query (null when absent), the key and the JSON body.</summary>
public sealed record SpeechCall(string VoiceId, string? OutputFormat, string? ApiKey, string Body);

/// <summary>
/// ElevenLabs' documented wire protocol: POST /v1/text-to-speech/{voice_id}?output_format=… (JSON {text, model_id,
/// voice_settings}; answers the audio bytes of the requested format) and GET /v1/voices[?show_legacy=true]. Checks the
/// <c>xi-api-key</c> header (its value is what <see cref="RecordedRequest.Authorization"/> holds), validates requests
/// and answers errors as ElevenLabs does: <c>{"detail":{"status","message"}}</c> (401, 404 voice_not_found, 400 limits),
/// <c>{"detail":[{"loc","msg","type"}]}</c> for 422 validation.
/// </summary>
public sealed class ElevenLabsEmulator(string apiKey = ElevenLabsEmulator.DefaultApiKey) : Emulator(apiKey)
{
    public const string DefaultApiKey = "sk_emulator_0123456789abcdef0123456789";

    /// <summary>Premade voices with their real ElevenLabs ids (Rachel and Adam are legacy: listed only with show_legacy=true).</summary>
    public static readonly IReadOnlyList<EmulatedVoice> PremadeVoices =
    [
        new("21m00Tcm4TlvDq8ikWAM", "Rachel", Legacy: true),
        new("pNInz6obpgDQGcFmaJgB", "Adam", Legacy: true),
        new("9BWtsMINqrJLrRacOk9x", "Aria"),
        new("CwhRBWXzGAHq8TQ4Fs17", "Roger"),
        new("EXAVITQu4vr4xnSDxMaL", "Sarah"),
        new("FGY2WhTYpPnrIDTdsKH5", "Laura"),
        new("IKne3meq5aSn9XLyUdCD", "Charlie"),
        new("JBFqnCBsd6RMkjVDRZzb", "George"),
    ];

    /// <summary>Text-to-speech models and their documented character limits per request.</summary>
    public static readonly IReadOnlyDictionary<string, int> Models = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["eleven_v3"] = 5_000,
        ["eleven_multilingual_v2"] = 10_000,
        ["eleven_flash_v2_5"] = 40_000,
        ["eleven_turbo_v2_5"] = 40_000,
        ["eleven_flash_v2"] = 30_000,
        ["eleven_turbo_v2"] = 30_000,
        ["eleven_monolingual_v1"] = 10_000,
        ["eleven_multilingual_v1"] = 10_000,
    };

    /// <summary>The output_format values the API accepts.</summary>
    public static readonly IReadOnlySet<string> OutputFormats = new HashSet<string>(StringComparer.Ordinal)
    {
        "alaw_8000", "ulaw_8000",
        "mp3_22050_32", "mp3_24000_48", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128", "mp3_44100_192",
        "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128", "opus_48000_192",
        "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_32000", "pcm_44100", "pcm_48000",
        "wav_8000", "wav_16000", "wav_22050", "wav_24000", "wav_32000", "wav_44100", "wav_48000",
    };

    private readonly ConcurrentDictionary<string, EmulatedVoice> _voices = new(PremadeVoices.ToDictionary(v => v.Id), StringComparer.Ordinal);

    /// <summary>The provider's base URL: the host root (paths start with /v1).</summary>
    public override string BaseUrl => Origin;

    /// <summary>Every text-to-speech call received (validation failures included).</summary>
    public ConcurrentQueue<SpeechCall> SpeechCalls { get; } = new();

    /// <summary>The account's character quota is used up: text-to-speech answers 401 quota_exceeded.</summary>
    public bool QuotaExceeded { get; set; }

    public IEnumerable<EmulatedVoice> Voices => _voices.Values;

    public static Task<ElevenLabsEmulator> StartAsync(string apiKey = DefaultApiKey, int port = 0) => StartAsync(new ElevenLabsEmulator(apiKey), port);

    /// <summary>A voice added to the account (e.g. a clone), from now on listed and speakable.</summary>
    public void AddVoice(string id, string name, string category = "cloned") => _voices[id] = new EmulatedVoice(id, name, category);

    public bool TryGetVoice(string id, out EmulatedVoice voice) => _voices.TryGetValue(id, out voice!);

    /// <summary>When set, every streamed speech (<c>…/stream</c>) pauses after its first piece until this completes.</summary>
    public TaskCompletionSource? HoldStreams { get; set; }

    public override void Reset()
    {
        base.Reset();
        QuotaExceeded = false;
        HoldStreams?.TrySetResult();
        HoldStreams = null;
        SpeechCalls.Clear();
        foreach (var id in _voices.Keys.Where(id => PremadeVoices.All(v => v.Id != id)).ToList())
        {
            _voices.TryRemove(id, out _);
        }
    }

    protected override void MapEndpoints(WebApplication app)
    {
        var endpoints = new ElevenLabsEndpoints(this);
        app.MapPost("/v1/text-to-speech/{voice_id}", endpoints.SpeechAsync);
        app.MapPost("/v1/text-to-speech/{voice_id}/stream", endpoints.StreamSpeechAsync);
        app.MapGet("/v1/voices", endpoints.VoicesAsync);
    }
}
