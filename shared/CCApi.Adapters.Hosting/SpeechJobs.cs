using CCApi.Contracts;
using CCApi.Storage;

namespace CCApi.Adapters.Hosting;

/// <summary>How a speech job ends, the same in every speech adapter: the audio in the blob store, priced per input character.</summary>
public static class SpeechJobs
{
    /// <summary>Stores <paramref name="audio"/> (stored even if the job is canceled meanwhile: the outcome is recorded) and describes it.</summary>
    public static async Task<SpeechSynthesized> SynthesizedAsync(
        IBlobStore blobs,
        Speech command,
        ReadOnlyMemory<byte> audio,
        string contentType,
        string format,
        double durationSeconds,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(command);
        return new SpeechSynthesized
        {
            JobId = command.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = command.Route,
            Audio = await blobs.PutAsync(audio, contentType, cancellationToken),
            Format = format,
            DurationSeconds = durationSeconds,
            Usage = UsagePricing.Price(command.Route, characters: command.Input.Length),
        };
    }
}
