using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>Speech through POST /audio/speech: the audio bytes go to the blob store; responds and publishes SpeechSynthesized or JobFailed.</summary>
public sealed class SpeechConsumer(OpenAIClient client, IBlobStore blobs, AdapterJobRunner runner) : IConsumer<Speech>
{
    public async Task Consume(ConsumeContext<Speech> context)
    {
        var command = context.Message;
        using var call = AdapterTelemetry.Start(command);

        await runner.RunAsync(context, JobKind.Speech, "openai-speech", call, async cancellationToken =>
        {
            var (audio, contentType) = await client.SpeechAsync(command, cancellationToken);
            return new SpeechSynthesized
            {
                JobId = command.JobId,
                Timestamp = DateTimeOffset.UtcNow,
                Route = command.Route,
                Audio = await blobs.PutAsync(audio, contentType, context.CancellationToken),
                Format = command.Format.ToLowerInvariant(),
                Usage = UsagePricing.Price(command.Route, characters: command.Input.Length),
            };
        });
    }
}
