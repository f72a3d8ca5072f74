using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.ElevenLabs;
using CCApi.Storage;
using CCApi.Testing.Adapters;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>
/// Speech played as it is made (<see cref="Speech.StreamAudio"/>): the adapter calls ElevenLabs' streaming endpoint
/// (<c>/v1/text-to-speech/{voice_id}/stream</c>) and relays each piece on the job's audio channel as it arrives, then
/// answers with the whole audio, checked as any. Against the emulator, which streams its audio in four flushed pieces.
/// </summary>
public sealed class SpeechStreamTests(ElevenLabsAdapterHost host) : IClassFixture<ElevenLabsAdapterHost>
{
    private SpeechChunks Chunks => host.Services.GetRequiredService<SpeechChunks>();

    [Fact]
    public async Task Streams_from_the_streaming_endpoint_relaying_each_piece_as_it_comes()
    {
        host.Emulator.Reset();
        host.Emulator.HoldStreams = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var command = host.Speech("Hello there", voice: ElevenLabsAdapterHost.SarahId, format: "wav") with { StreamAudio = true };
        await using var chunks = await Chunks.SubscribeAsync(command.JobId);

        var answer = host.AskAsync(command);
        var first = await SpeechChunkReader.TakeAsync(chunks, 1); // one piece, while ElevenLabs (the emulator) holds the rest
        answer.IsCompleted.ShouldBeFalse();
        host.Emulator.HoldStreams.TrySetResult();
        var response = await answer;

        response.Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        var stored = (await host.Blobs.GetAsync(synthesized!.Message.Audio.Id)).ShouldNotBeNull().Bytes;
        var rest = await SpeechChunkReader.TakeAsync(chunks, stored.Length - first.Length, from: first.Length);
        ((byte[])[.. first, .. rest]).ShouldBe(stored);
        System.Text.Encoding.ASCII.GetString(stored, 0, 4).ShouldBe("RIFF");
        synthesized.Message.DurationSeconds.ShouldBe(EmulatedAudio.DurationFor("Hello there"), 0.001); // read from the whole audio, as for any call
        host.Emulator.Requests.ShouldHaveSingleItem().Path.ShouldBe($"/v1/text-to-speech/{ElevenLabsAdapterHost.SarahId}/stream");
    }

    [Fact]
    public async Task Uses_the_plain_endpoint_and_relays_nothing_when_the_caller_does_not_play_the_audio()
    {
        host.Emulator.Reset();
        var command = host.Speech("Hello there", voice: ElevenLabsAdapterHost.SarahId);
        await using var chunks = await Chunks.SubscribeAsync(command.JobId);

        var synthesized = await host.SynthesizedAsync(command);

        (await host.Blobs.GetAsync(synthesized.Audio.Id)).ShouldNotBeNull();
        host.Emulator.Requests.ShouldHaveSingleItem().Path.ShouldBe($"/v1/text-to-speech/{ElevenLabsAdapterHost.SarahId}");
        await Task.Delay(200); // a piece published at all would be in by now
        chunks.Reader.TryRead(out _).ShouldBeFalse();
    }

    [Fact]
    public async Task A_stream_cut_after_a_piece_fails_the_job_as_dropped()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream, times: 1);
        var command = host.Speech("Hello there", voice: ElevenLabsAdapterHost.SarahId) with { StreamAudio = true };
        await using var chunks = await Chunks.SubscribeAsync(command.JobId);

        var response = await host.AskAsync(command);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
        (await SpeechChunkReader.TakeAsync(chunks, 1)).Length.ShouldBePositive(); // what came before the cut was relayed
    }
}
