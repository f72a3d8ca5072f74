using CCApi.Contracts;

namespace CCApi.Adapters.Local.Audio;

/// <summary>The output formats espeak-1 produces and their content types.</summary>
public static class AudioFormats
{
    public const string Mp3 = "mp3";
    public const string Wav = "wav";
    public const string Ogg = "ogg";
    public const string Opus = "opus";
    public const string Flac = "flac";
    public const string Pcm = "pcm";

    /// <summary>Supported formats in catalog order. ("aac" exists in the contract, but no AAC encoder ships here.)</summary>
    public static readonly IReadOnlyList<string> All = [Mp3, Wav, Ogg, Opus, Flac, Pcm];

    /// <summary>Sample rate of "pcm" output: OpenAI's raw PCM is 24 kHz, 16-bit signed little-endian, mono.</summary>
    public const int PcmSampleRate = 24_000;

    /// <summary>The content type of a format espeak-1 produces (<see cref="SpeechFormats"/>); null for any other.</summary>
    public static string? ContentType(string format) => All.Contains(format) ? SpeechFormats.ContentType(format) : null;
}
