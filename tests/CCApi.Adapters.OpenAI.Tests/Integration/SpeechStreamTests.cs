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

    /// <summary>gpt-4o-mini-tts as the catalog prices it: by tokens.</summary>
    private Speech TokenPriced(string input = "Hello there", string format = "mp3") => host.Speech(input, format) with
    {
        Route = host.Speech().Route with
        {
            ProviderModel = "gpt-4o-mini-tts",
            Model = "openai/gpt-4o-mini-tts",
            Pricing = new ModelPricing { InputPerMillion = 0.60m, OutputPerMillion = 12m },
        },
    };

    [Fact]
    public async Task A_model_priced_by_tokens_is_asked_for_speech_events_and_priced_at_their_counts()
    {
        host.Emulator.Reset();
        var command = TokenPriced("Hello in tokens", "wav");

        var response = await host.AskAsync<Speech, SpeechSynthesized>(command, JobKind.Speech);

        response.Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        var (input, output) = Emulators.OpenAI.OpenAIEmulator.SpeechTokens("Hello in tokens");
        var usage = synthesized!.Message.Usage;
        (usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens).ShouldBe((input, output, input + output));
        usage.Characters.ShouldBe(15);
        usage.Cost.ShouldBe((input * 0.60m / 1_000_000m) + (output * 12m / 1_000_000m));
        (await Blobs.GetAsync(synthesized.Message.Audio.Id)).ShouldNotBeNull().Bytes.ShouldBe(AudioSamples.For("wav")); // the deltas, joined
        using var body = System.Text.Json.JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("stream_format").GetString().ShouldBe("sse");
        body.RootElement.GetProperty("model").GetString().ShouldBe("gpt-4o-mini-tts");
    }

    [Fact]
    public async Task Speech_events_are_relayed_as_their_deltas_arrive()
    {
        host.Emulator.Reset();
        host.Emulator.HoldStreams = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var command = TokenPriced("Hello in tokens", "pcm") with { StreamAudio = true };
        var expected = AudioSamples.For("pcm");
        await using var chunks = await Chunks.SubscribeAsync(command.JobId);

        var answer = host.AskAsync<Speech, SpeechSynthesized>(command, JobKind.Speech);
        var first = await SpeechChunkReader.TakeAsync(chunks, (expected.Length + 3) / 4);
        answer.IsCompleted.ShouldBeFalse();
        host.Emulator.HoldStreams.TrySetResult();
        var rest = await SpeechChunkReader.TakeAsync(chunks, expected.Length - first.Length, from: first.Length);

        ((byte[])[.. first, .. rest]).ShouldBe(expected);
        (await answer).Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        synthesized!.Message.Usage.CompletionTokens.ShouldBePositive();
    }

    [Theory]
    [InlineData(FailureMode.DropMidStream, 502)] // a delta, then the cut: no speech.audio.done
    [InlineData(FailureMode.Malformed, 502)]
    public async Task Speech_events_that_break_off_or_do_not_parse_fail_the_job(FailureMode mode, int status)
    {
        host.Emulator.Reset();
        host.Emulator.Fail(mode, times: 1);

        var response = await host.AskAsync<Speech, SpeechSynthesized>(TokenPriced(), JobKind.Speech);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(status);
    }

    [Fact]
    public async Task A_model_priced_per_character_is_never_asked_for_speech_events()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<Speech, SpeechSynthesized>(host.Speech("Hello there", "mp3") with { StreamAudio = true }, JobKind.Speech);

        response.Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        synthesized!.Message.Usage.PromptTokens.ShouldBe(0);
        synthesized.Message.Usage.Cost.ShouldBe(11 * 0.000015m);
        using var body = System.Text.Json.JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.TryGetProperty("stream_format", out _).ShouldBeFalse(); // OpenAI refuses sse for tts-1
    }
}
