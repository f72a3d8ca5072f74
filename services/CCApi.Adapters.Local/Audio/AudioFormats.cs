using CCApi.Contracts;

namespace CCApi.Adapters.Local.Audio;

/// <summary>The output formats espeak-1 produces and their content types.</summary>
public static class AudioFormats
{
    /// <summary>Supported formats in catalog order. ("aac" exists in the contract, but no AAC encoder ships here.)</summary>
    public static readonly IReadOnlyList<string> All =
        [SpeechFormats.Mp3, SpeechFormats.Wav, SpeechFormats.Ogg, SpeechFormats.Opus, SpeechFormats.Flac, SpeechFormats.Pcm];

    /// <summary>Sample rate of "pcm" output: OpenAI's raw PCM is 24 kHz, 16-bit signed little-endian, mono.</summary>
    public const int PcmSampleRate = 24_000;

    /// <summary>The content type of a format espeak-1 produces (<see cref="SpeechFormats"/>); null for any other.</summary>
    public static string? ContentType(string format) => All.Contains(format) ? SpeechFormats.ContentType(format) : null;
}
