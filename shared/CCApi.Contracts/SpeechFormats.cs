namespace CCApi.Contracts;

/// <summary>
/// The speech output formats a <see cref="Speech"/> command may ask for (their names, said once for every adapter) and the
/// content type each is stored and served
/// under (the ones OpenAI answers with, so its SDKs accept the bytes). One table for every speech adapter; which of the
/// formats a provider can produce is the adapter's own list.
/// </summary>
public static class SpeechFormats
{
    public const string Mp3 = "mp3";
    public const string Wav = "wav";
    public const string Ogg = "ogg";
    public const string Opus = "opus";
    public const string Aac = "aac";
    public const string Flac = "flac";
    public const string Pcm = "pcm";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [Mp3] = "audio/mpeg",
        [Wav] = "audio/wav",
        [Ogg] = "audio/ogg",
        [Opus] = "audio/opus",
        [Aac] = "audio/aac",
        [Flac] = "audio/flac",
        [Pcm] = "audio/pcm",
    };

    /// <summary>The content type of <paramref name="format"/> (lower case, as on the wire); null for a format the API does not have.</summary>
    public static string? ContentType(string format) => ContentTypes.GetValueOrDefault(format);
}
