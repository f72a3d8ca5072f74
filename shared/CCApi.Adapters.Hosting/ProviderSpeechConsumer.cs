using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The speech consumer of any adapter whose provider is an <see cref="ISpeechProvider"/>: the provider makes the audio
/// inside <see cref="AdapterJobRunner.RunAsync{TCommand,TResult}(ConsumeContext{TCommand},JobKind,string,Func{TCommand,CancellationToken,Task{TResult}},System.Diagnostics.ActivityKind)"/>,
/// the audio goes to the blob store (<see cref="SpeechJobs"/>); responds (when requested) and publishes
/// <see cref="SpeechSynthesized"/> or <see cref="JobFailed"/>. When the caller plays the audio as it comes
/// (<see cref="Speech.StreamAudio"/>), what the provider delivers progressively is relayed as it arrives
/// (<see cref="SpeechChunks"/>): best effort, the stored audio is the whole of it. Registered with <see cref="ProviderSpeechConsumerDefinition{TProvider}"/>.
/// </summary>
public sealed class ProviderSpeechConsumer<TProvider>(TProvider provider, IBlobStore blobs, SpeechChunks chunks, AdapterJobRunner runner) : IConsumer<Speech>
    where TProvider : class, ISpeechProvider
{
    public Task Consume(ConsumeContext<Speech> context) =>
        runner.RunAsync(context, JobKind.Speech, provider.SpeechStep, async (command, cancellationToken) =>
        {
            var audio = command.StreamAudio
                ? await provider.SynthesizeAsync(command, Relay(command.JobId), cancellationToken)
                : await provider.SynthesizeAsync(command, cancellationToken);
            return await SpeechJobs.SynthesizedAsync(blobs, command, audio, context.CancellationToken);
        }, provider.SpeechCallKind);

    /// <summary>Publishes each piece at its offset; after one Redis refused, no more (the gateway takes the rest from the blob).</summary>
    private SpeechAudioRelay Relay(Guid jobId)
    {
        long offset = 0;
        var relaying = true;
        return async piece =>
        {
            if (relaying && piece.Length > 0)
            {
                relaying = await chunks.PublishAsync(jobId, offset, piece);
            }

            offset += piece.Length;
        };
    }
}
