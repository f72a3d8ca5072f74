using System.Text.Json.Serialization;

namespace CCApi.Gateway.Api;

/// <summary>POST /v1/audio/speech (spec 2.2 / 3.8): CCAPI fields plus OpenAI's.</summary>
public sealed class SpeechRequestBody
{
    public string? Model { get; set; }
    public string? Input { get; set; }
    public string? Voice { get; set; }
    public string? OutputFormat { get; set; }
    public string? ResponseFormat { get; set; }
    public double? Speed { get; set; }
    public string? Instructions { get; set; }

    /// <summary>OpenAI's "audio" (the default, the audio bytes) or "sse" (base64 audio deltas as server-sent events), both played as the audio is made.</summary>
    public string? StreamFormat { get; set; }
}

/// <summary>
/// CCAPI-mode speech response (our design; the documented AudioSpeechResponse schema is not stored, spec 3.9):
/// the audio as a signed URL or inline base64.
/// </summary>
public sealed record SpeechResponse(
    [property: JsonPropertyOrder(-2)] string Id,
    long Created,
    string Model,
    string Provider,
    string Format,
    string? Url,
    [property: JsonPropertyName("b64_json")] string? B64Json,
    double? DurationSeconds,
    SpeechUsageResponse? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "audio.speech";
}

public sealed record SpeechUsageResponse(
    int Characters,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] decimal? CostUsd = null);
