namespace CCApi.Contracts;

/// <summary>
/// The speech output formats a <see cref="Speech"/> command may ask for and the content type each is stored and served
/// under (the ones OpenAI answers with, so its SDKs accept the bytes). One table for every speech adapter; which of the
/// formats a provider can produce is the adapter's own list.
/// </summary>
public static class SpeechFormats
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["mp3"] = "audio/mpeg",
        ["wav"] = "audio/wav",
        ["ogg"] = "audio/ogg",
        ["opus"] = "audio/opus",
        ["aac"] = "audio/aac",
        ["flac"] = "audio/flac",
        ["pcm"] = "audio/pcm",
    };

    /// <summary>The content type of <paramref name="format"/> (lower case, as on the wire); null for a format the API does not have.</summary>
    public static string? ContentType(string format) => ContentTypes.GetValueOrDefault(format);
}
