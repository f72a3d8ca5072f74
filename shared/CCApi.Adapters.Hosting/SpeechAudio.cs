namespace CCApi.Adapters.Hosting;

/// <summary>
/// Audio a speech provider produced: the bytes, the content type they are stored under, the format's name as the
/// client asked for it ("mp3") and the duration in seconds (0 when the provider does not say).
/// </summary>
public sealed record SpeechAudio(byte[] Bytes, string ContentType, string Format, double DurationSeconds);
