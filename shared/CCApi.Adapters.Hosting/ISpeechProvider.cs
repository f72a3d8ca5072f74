using System.Diagnostics;
using CCApi.Contracts;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// What a provider that turns text into speech does for the kit's <see cref="ProviderSpeechConsumer{TProvider}"/>: the
/// audio for one <see cref="Speech"/> command. A failure it knows ends the job as the CCAPI error it carries
/// (<see cref="UpstreamException"/>, <see cref="ServiceDefaults.ApiException"/>), like any job the runner runs.
/// </summary>
public interface ISpeechProvider
{
    /// <summary>The result-cache key of its speech jobs (e.g. "openai-speech").</summary>
    string SpeechStep { get; }

    /// <summary>The kind of the provider-call span: a call to the provider's API (Client), or work in this process (Internal).</summary>
    ActivityKind SpeechCallKind => ActivityKind.Client;

    /// <param name="cancellationToken">Fires when the consumer stops, the job's deadline passes or its client leaves.</param>
    Task<SpeechAudio> SynthesizeAsync(Speech command, CancellationToken cancellationToken);

    /// <summary>
    /// The same, for a caller that plays the audio as it comes (<see cref="Speech.StreamAudio"/>): a provider that delivers
    /// its audio progressively hands each piece to <paramref name="relay"/> as it arrives, in order, and still returns the
    /// whole audio. The default makes the audio whole and relays nothing (the caller then takes it from the result).
    /// </summary>
    Task<SpeechAudio> SynthesizeAsync(Speech command, SpeechAudioRelay relay, CancellationToken cancellationToken) =>
        SynthesizeAsync(command, cancellationToken);
}

/// <summary>Takes the next piece of a speech job's audio, in order (see <see cref="ISpeechProvider"/>).</summary>
public delegate Task SpeechAudioRelay(ReadOnlyMemory<byte> piece);
