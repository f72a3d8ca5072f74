using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Storage;
using CCApi.Testing.Adapters;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>
/// Speech played as it is made (<see cref="Speech.StreamAudio"/>): OpenAI sends /audio/speech chunked as it synthesizes,
/// and the adapter relays each piece on the job's audio channel (<see cref="SpeechChunks"/>) as it arrives, before it
/// answers with the whole audio. Against the emulator, which sends its audio in four flushed pieces.
/// </summary>
public sealed class SpeechStreamTests(OpenAIAdapterHost host) : IClassFixture<OpenAIAdapterHost>
{
    private IBlobStore Blobs => host.Services.GetRequiredService<IBlobStore>();

    private SpeechChunks Chunks => host.Services.GetRequiredService<SpeechChunks>();

    [Fact]
    public async Task Relays_the_audio_as_OpenAI_sends_it_and_answers_with_the_whole_of_it()
    {
        host.Emulator.Reset();
        host.Emulator.HoldStreams = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var command = host.Speech("Hello there", "wav") with { StreamAudio = true };
        var expected = AudioSamples.For("wav");
        await using var chunks = await Chunks.SubscribeAsync(command.JobId);

        var answer = host.AskAsync<Speech, SpeechSynthesized>(command, JobKind.Speech);
        // The first piece arrives while OpenAI (the emulator) still holds the rest of the audio.
        var first = await SpeechChunkReader.TakeAsync(chunks, (expected.Length + 3) / 4);
        first.ShouldBe(expected[..first.Length]);
        answer.IsCompleted.ShouldBeFalse();
        host.Emulator.HoldStreams.TrySetResult();

        var rest = await SpeechChunkReader.TakeAsync(chunks, expected.Length - first.Length, from: first.Length);
        ((byte[])[.. first, .. rest]).ShouldBe(expected);
        var response = await answer;
        response.Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        (await Blobs.GetAsync(synthesized!.Message.Audio.Id)).ShouldNotBeNull().Bytes.ShouldBe(expected);
        chunks.Reader.TryRead(out _).ShouldBeFalse(); // nothing beyond the audio
    }

    [Fact]
    public async Task Relays_nothing_when_the_caller_does_not_play_the_audio()
    {
        host.Emulator.Reset();
        var command = host.Speech("Hello there", "mp3");
        await using var chunks = await Chunks.SubscribeAsync(command.JobId);

        var response = await host.AskAsync<Speech, SpeechSynthesized>(command, JobKind.Speech);

        response.Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        (await Blobs.GetAsync(synthesized!.Message.Audio.Id)).ShouldNotBeNull().Bytes.ShouldBe(AudioSamples.For("mp3"));
        await Task.Delay(200); // a piece published at all would be in by now
        chunks.Reader.TryRead(out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Audio_cut_after_a_piece_fails_the_job_as_a_dropped_stream()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream, times: 1);
        var command = host.Speech("Hello there", "mp3") with { StreamAudio = true };
        var expected = AudioSamples.For("mp3");
        await using var chunks = await Chunks.SubscribeAsync(command.JobId);

        var response = await host.AskAsync<Speech, SpeechSynthesized>(command, JobKind.Speech);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
        (await SpeechChunkReader.TakeAsync(chunks, expected.Length / 2)).ShouldBe(expected[..(expected.Length / 2)]); // what came before the cut was relayed
    }

    [Fact]
    public async Task Audio_that_stalls_fails_the_job_after_the_idle_timeout()
    {
        host.Emulator.Reset();
        host.Emulator.HoldStreams = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // never released
        var command = host.Speech("Hello there", "mp3") with { StreamAudio = true };

        var response = await host.AskAsync<Speech, SpeechSynthesized>(command, JobKind.Speech);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(504); // the host's StreamIdleTimeout is 1.5 s
        host.Emulator.HoldStreams.TrySetResult();
    }

    [Fact]
    public async Task Json_where_audio_was_expected_fails_the_job_as_malformed()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);
        var command = host.Speech("Hello there", "mp3") with { StreamAudio = true };

        var response = await host.AskAsync<Speech, SpeechSynthesized>(command, JobKind.Speech);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
    }
}
