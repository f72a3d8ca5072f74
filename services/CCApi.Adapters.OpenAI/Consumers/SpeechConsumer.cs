using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>Speech through POST /audio/speech: the audio bytes go to the blob store; responds and publishes SpeechSynthesized or JobFailed.</summary>
public sealed class SpeechConsumer(OpenAIClient client, IBlobStore blobs, AdapterJobRunner runner) : IConsumer<Speech>
{
    public Task Consume(ConsumeContext<Speech> context) =>
        runner.RunAsync(context, JobKind.Speech, "openai-speech", async (command, cancellationToken) =>
        {
            var (audio, contentType) = await client.SpeechAsync(command, cancellationToken);
            return await SpeechJobs.SynthesizedAsync(blobs, command, audio, contentType, command.Format.ToLowerInvariant(), 0, context.CancellationToken);
        });
}
