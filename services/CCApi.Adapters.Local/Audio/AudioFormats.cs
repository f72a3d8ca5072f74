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

    public static string? ContentType(string format) => format switch
    {
        Mp3 => "audio/mpeg",
        Wav => "audio/wav",
        Ogg => "audio/ogg",
        Opus => "audio/opus",
        Flac => "audio/flac",
        Pcm => "audio/pcm",
        _ => null,
    };
}
