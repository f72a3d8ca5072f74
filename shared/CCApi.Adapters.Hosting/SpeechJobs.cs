using CCApi.Contracts;
using CCApi.Storage;

namespace CCApi.Adapters.Hosting;

/// <summary>How a speech job ends, the same in every speech adapter: the audio in the blob store, priced by the catalog's price.</summary>
public static class SpeechJobs
{
    /// <summary>
    /// Stores <paramref name="audio"/>'s bytes (stored even if the job is canceled meanwhile: the outcome is recorded) and
    /// describes them, priced per input character and per token the provider counted.
    /// </summary>
    public static async Task<SpeechSynthesized> SynthesizedAsync(IBlobStore blobs, Speech command, SpeechAudio audio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(audio);
        return new SpeechSynthesized
        {
            JobId = command.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = command.Route,
            Audio = await blobs.PutAsync(audio.Bytes, audio.ContentType, cancellationToken),
            Format = audio.Format,
            DurationSeconds = audio.DurationSeconds,
            Usage = UsagePricing.Price(command.Route, promptTokens: audio.InputTokens, completionTokens: audio.OutputTokens, characters: command.Input.Length),
        };
    }
}
