using System.Text;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;
using static CCApi.Adapters.Local.Tests.Support.Commands;

namespace CCApi.Adapters.Local.Tests.Integration;

[Collection(LocalAdapterCollection.Name)]
public class SpeechTests(LocalAdapterHost host)
{
    private IRequestClient<Speech> Client => host.Client<Speech>("local-speech");

    [Fact]
    public async Task Responds_with_an_mp3_blob_and_character_usage_and_publishes_it()
    {
        var command = Speech("Welcome to CCAPI, your unified AI gateway.", voice: "aria", format: "mp3");

        var response = await Client.GetResponse<SpeechSynthesized, JobFailed>(command);

        response.Is(out Response<SpeechSynthesized>? ok).ShouldBeTrue();
        var speech = ok!.Message;
        speech.Format.ShouldBe("mp3");
        speech.Audio.ContentType.ShouldBe("audio/mpeg");
        speech.DurationSeconds.ShouldBeGreaterThan(1);
        speech.Usage.Characters.ShouldBe(command.Input.Length);
        speech.Usage.Cost.ShouldBe(command.Input.Length * 0.00001m);
        var blob = (await host.Get<IBlobStore>().GetAsync(speech.Audio.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("audio/mpeg");
        (blob.Bytes[0] == 0xFF && (blob.Bytes[1] & 0xE0) == 0xE0).ShouldBeTrue();
        await host.WaitForAsync<SpeechSynthesized>(e => e.JobId == command.JobId);
    }

    [Fact]
    public async Task Stores_wav_with_its_content_type()
    {
        var response = await Client.GetResponse<SpeechSynthesized>(Speech("Testing one two three.", voice: "onyx", format: "wav"));

        var blob = (await host.Get<IBlobStore>().GetAsync(response.Message.Audio.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("audio/wav");
        Encoding.ASCII.GetString(blob.Bytes, 0, 4).ShouldBe("RIFF");
    }

    [Fact]
    public async Task Responds_JobFailed_400_on_voice_for_an_unknown_voice_and_publishes_it()
    {
        var command = Speech("hello", voice: "darth-vader");

        var response = await Client.GetResponse<SpeechSynthesized, JobFailed>(command);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        var error = failed!.Message.Error;
        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Details!["param"].ShouldBe("voice");
        error.Message.ShouldContain("alloy");
        failed.Message.Kind.ShouldBe(JobKind.Speech);
        await host.WaitForAsync<JobFailed>(e => e.JobId == command.JobId);
    }

    [Fact]
    public async Task Responds_JobFailed_400_unsupported_parameter_on_instructions_which_espeak_cannot_follow()
    {
        var response = await Client.GetResponse<SpeechSynthesized, JobFailed>(Speech("hello") with { Instructions = "Speak in a whisper." });

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        var error = failed!.Message.Error;
        (error.Status, error.Code, error.Details!["param"]).ShouldBe((400, "unsupported_parameter", "instructions"));
        (await Client.GetResponse<SpeechSynthesized, JobFailed>(Speech("hello") with { Instructions = "  " })).Is(out Response<SpeechSynthesized>? _).ShouldBeTrue();
    }

    [Fact]
    public async Task Responds_JobFailed_400_on_input_when_it_is_longer_than_4096_characters()
    {
        var response = await Client.GetResponse<SpeechSynthesized, JobFailed>(Speech(new string('x', 4097)));

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Details!["param"].ShouldBe("input");
    }
}
