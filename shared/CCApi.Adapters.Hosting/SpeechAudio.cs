namespace CCApi.Adapters.Hosting;

/// <summary>
/// Audio a speech provider produced: the bytes, the content type they are stored under, the format's name as the
/// client asked for it ("mp3") and the duration in seconds (0 when the provider does not say); for a provider that
/// counts tokens (OpenAI's gpt-4o-mini-tts), its text input and audio output tokens, priced by the catalog's per-million
/// prices beside any per-character one.
/// </summary>
public sealed record SpeechAudio(byte[] Bytes, string ContentType, string Format, double DurationSeconds, int InputTokens = 0, int OutputTokens = 0);
