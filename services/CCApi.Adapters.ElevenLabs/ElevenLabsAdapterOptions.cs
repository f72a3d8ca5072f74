using System.ComponentModel.DataAnnotations;
using CCApi.Adapters.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ElevenLabs;

/// <summary>
/// Configuration of the ElevenLabs adapter (section "ElevenLabs"), validated at start. The API key also comes from
/// ELEVENLABS_API_KEY and the base URL from ELEVENLABS_BASE_URL (the host root, without /v1).
/// </summary>
public sealed class ElevenLabsAdapterOptions : UpstreamAdapterOptions
{
    public const string SectionName = "ElevenLabs";
    public const string ApiKeyVariable = "ELEVENLABS_API_KEY";
    public const string BaseUrlVariable = "ELEVENLABS_BASE_URL";
    public const string PublicBaseUrl = "https://api.elevenlabs.io";

    public ElevenLabsAdapterOptions()
        : base("elevenlabs", PublicBaseUrl)
    {
        // ElevenLabs limits concurrent requests per subscription (2 on Free up to 15 on Scale/Business); more in flight
        // than the plan allows only turns into 429s. Raise it to the plan's limit.
        ConcurrencyLimit = 5;
    }

    /// <summary>How long the account's voice list (GET /v1/voices) is trusted for resolving voice names.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan VoiceCacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Shortest time between two listings caused by a name the cached list does not know, so that clients sending
    /// unknown voice names cannot make the adapter list the voices on every request.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan VoiceRefreshMinInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>voice_settings.stability for every request (0–1); unset = the voice's stored setting.</summary>
    [Range(0.0, 1.0)]
    public double? Stability { get; set; }

    /// <summary>voice_settings.similarity_boost for every request (0–1); unset = the voice's stored setting.</summary>
    [Range(0.0, 1.0)]
    public double? SimilarityBoost { get; set; }

    /// <summary>voice_settings.style for every request (0–1); unset = the voice's stored setting.</summary>
    [Range(0.0, 1.0)]
    public double? Style { get; set; }

    /// <summary>voice_settings.use_speaker_boost for every request; unset = the voice's stored setting.</summary>
    public bool? UseSpeakerBoost { get; set; }
}

/// <summary>Checks <see cref="ElevenLabsAdapterOptions"/>'s attributes (its base classes' too) at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class ElevenLabsAdapterOptionsValidator : IValidateOptions<ElevenLabsAdapterOptions>;
