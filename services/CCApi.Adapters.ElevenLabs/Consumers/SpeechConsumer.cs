using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.ElevenLabs.Consumers;

/// <summary>
/// Speech through POST /v1/text-to-speech/{voice_id}: the voice resolved by id or name, the audio stored in the blob
/// store; responds (when requested) and publishes <see cref="SpeechSynthesized"/> or <see cref="JobFailed"/>.
/// </summary>
public sealed class SpeechConsumer(ElevenLabsClient client, IBlobStore blobs, AdapterJobRunner runner) : IConsumer<Speech>
{
    public Task Consume(ConsumeContext<Speech> context) =>
        runner.RunAsync(context, JobKind.Speech, "elevenlabs-speech", async (command, cancellationToken) =>
        {
            var audio = await client.SpeechAsync(command, cancellationToken);
            return await SpeechJobs.SynthesizedAsync(blobs, command, audio.Bytes, audio.Format.ContentType, audio.Format.Format, audio.DurationSeconds, context.CancellationToken);
        });
}
