using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The speech consumer of any adapter whose provider is an <see cref="ISpeechProvider"/>: the provider makes the audio
/// inside <see cref="AdapterJobRunner.RunAsync{TCommand,TResult}(ConsumeContext{TCommand},JobKind,string,Func{TCommand,CancellationToken,Task{TResult}},System.Diagnostics.ActivityKind)"/>,
/// the audio goes to the blob store (<see cref="SpeechJobs"/>); responds (when requested) and publishes
/// <see cref="SpeechSynthesized"/> or <see cref="JobFailed"/>. Registered with <see cref="ProviderSpeechConsumerDefinition{TProvider}"/>.
/// </summary>
public sealed class ProviderSpeechConsumer<TProvider>(TProvider provider, IBlobStore blobs, AdapterJobRunner runner) : IConsumer<Speech>
    where TProvider : class, ISpeechProvider
{
    public Task Consume(ConsumeContext<Speech> context) =>
        runner.RunAsync(context, JobKind.Speech, provider.SpeechStep, async (command, cancellationToken) =>
        {
            var audio = await provider.SynthesizeAsync(command, cancellationToken);
            return await SpeechJobs.SynthesizedAsync(blobs, command, audio.Bytes, audio.ContentType, audio.Format, audio.DurationSeconds, context.CancellationToken);
        }, provider.SpeechCallKind);
}
