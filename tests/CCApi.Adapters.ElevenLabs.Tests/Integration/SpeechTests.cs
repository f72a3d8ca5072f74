using System.Text.Json;
using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators.ElevenLabs;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>Speech through RabbitMQ against the emulator: what ElevenLabs receives, and what the job stores and answers.</summary>
public sealed class SpeechTests(ElevenLabsAdapterHost host) : IClassFixture<ElevenLabsAdapterHost>
{
    private const string SarahId = "EXAVITQu4vr4xnSDxMaL";
    private const string RachelId = "21m00Tcm4TlvDq8ikWAM";

    private JsonElement LastBody() => JsonDocument.Parse(host.Emulator.SpeechCalls.Last().Body).RootElement;

    [Fact]
    public async Task Stores_mp3_audio_as_audio_mpeg_and_prices_every_character()
    {
        host.Emulator.Reset();

        var synthesized = await host.SynthesizedAsync(host.Speech("Hello there", voice: SarahId));

        synthesized.Format.ShouldBe("mp3");
        synthesized.Usage.Characters.ShouldBe(11);
        synthesized.Usage.Cost.ShouldBe(11 * 0.00005m);
        synthesized.Audio.ContentType.ShouldBe("audio/mpeg");
        var blob = (await host.Blobs.GetAsync(synthesized.Audio.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("audio/mpeg");
        blob.Bytes[..2].ShouldBe(new byte[] { 0xFF, 0xFB });
    }

    [Fact]
    public async Task Sends_the_platform_key_as_xi_api_key_the_route_model_and_the_voice_id_in_the_path()
    {
        host.Emulator.Reset();

        await host.SynthesizedAsync(host.Speech("Read this aloud", voice: SarahId, model: "eleven_flash_v2_5"));

        var call = host.Emulator.SpeechCalls.ShouldHaveSingleItem();
        call.ApiKey.ShouldBe(host.Emulator.ApiKey);
        call.VoiceId.ShouldBe(SarahId);
        call.OutputFormat.ShouldBe("mp3_44100_128");
        var body = LastBody();
        body.GetProperty("text").GetString().ShouldBe("Read this aloud");
        body.GetProperty("model_id").GetString().ShouldBe("eleven_flash_v2_5");
        body.TryGetProperty("voice_settings", out _).ShouldBeFalse("no speed asked, nothing configured: the voice's own settings apply");
        host.Emulator.Count("/v1/voices").ShouldBe(0, "a voice id needs no lookup");
    }

    [Fact]
    public async Task Resolves_a_voice_name_case_insensitively_including_legacy_premade_voices()
    {
        host.Emulator.Reset();

        await host.SynthesizedAsync(host.Speech(voice: "rACHEL"));

        host.Emulator.SpeechCalls.ShouldHaveSingleItem().VoiceId.ShouldBe(RachelId);
    }

    [Fact]
    public async Task Lists_voices_with_show_legacy_so_that_legacy_premade_names_resolve()
    {
        host.Emulator.Reset();
        var name = "Legacy " + Guid.NewGuid().ToString("N")[..6]; // not in any cached list: forces a listing

        var error = await host.FailedAsync(host.Speech(voice: name));

        error.Details!["param"].ShouldBe("voice");
        error.Message.ShouldContain("Rachel"); // legacy: only listed with show_legacy=true
        host.Emulator.Count("/v1/voices").ShouldBe(1);
    }

    [Fact]
    public async Task Answers_later_names_from_the_cached_voice_list()
    {
        host.Emulator.Reset();
        await host.SynthesizedAsync(host.Speech(voice: "Aria"));
        var listings = host.Emulator.Count("/v1/voices");

        await host.SynthesizedAsync(host.Speech(voice: "george"));
        await host.SynthesizedAsync(host.Speech(voice: "Aria"));

        host.Emulator.Count("/v1/voices").ShouldBe(listings);
        host.Emulator.SpeechCalls.Select(c => c.VoiceId).ShouldBe(["9BWtsMINqrJLrRacOk9x", "JBFqnCBsd6RMkjVDRZzb", "9BWtsMINqrJLrRacOk9x"]);
    }

    [Fact]
    public async Task Lists_the_voices_again_when_a_name_is_not_in_the_cached_list()
    {
        host.Emulator.Reset();
        await host.SynthesizedAsync(host.Speech(voice: "Aria")); // the list is cached now
        var listings = host.Emulator.Count("/v1/voices");
        var id = "Cl0ne" + Guid.NewGuid().ToString("N")[..15];
        var name = "Narrator " + Guid.NewGuid().ToString("N")[..6];
        host.Emulator.AddVoice(id, name);

        await host.SynthesizedAsync(host.Speech(voice: name.ToUpperInvariant()));

        host.Emulator.Count("/v1/voices").ShouldBe(listings + 1);
        host.Emulator.SpeechCalls.Last().VoiceId.ShouldBe(id);
    }

    [Fact]
    public async Task Answers_400_naming_voice_and_listing_valid_names_for_an_unknown_voice_name()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(voice: "Robotron 3000"));

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Details!["param"].ShouldBe("voice");
        error.Message.ShouldContain("'Robotron 3000'");
        error.Message.ShouldContain("Aria");
        error.Message.ShouldContain("Sarah");
        host.Emulator.SpeechCalls.ShouldBeEmpty();
    }

    [Fact]
    public async Task Passes_an_unlisted_voice_id_through_and_relays_ElevenLabs_voice_not_found_as_400_naming_voice()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(voice: "ZZZZZZZZZZZZZZZZZZZZ"));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("A voice with the voice_id ZZZZZZZZZZZZZZZZZZZZ was not found.");
        error.Details!["param"].ShouldBe("voice");
        error.Details["provider_code"].ShouldBe("voice_not_found");
        host.Emulator.SpeechCalls.ShouldHaveSingleItem().VoiceId.ShouldBe("ZZZZZZZZZZZZZZZZZZZZ");
    }

    [Fact]
    public async Task Asks_for_wav_24000_and_stores_a_RIFF_WAVE_file_with_its_duration()
    {
        host.Emulator.Reset();

        var synthesized = await host.SynthesizedAsync(host.Speech("Hello there", voice: SarahId, format: "wav"));

        host.Emulator.SpeechCalls.ShouldHaveSingleItem().OutputFormat.ShouldBe("wav_24000");
        synthesized.Format.ShouldBe("wav");
        var blob = (await host.Blobs.GetAsync(synthesized.Audio.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("audio/wav");
        System.Text.Encoding.ASCII.GetString(blob.Bytes, 0, 4).ShouldBe("RIFF");
        System.Text.Encoding.ASCII.GetString(blob.Bytes, 8, 4).ShouldBe("WAVE");
        synthesized.DurationSeconds.ShouldBe(EmulatedAudio.DurationFor("Hello there"), 0.001);
    }

    [Theory]
    [InlineData("ogg", "audio/ogg")]
    [InlineData("opus", "audio/opus")]
    public async Task Asks_for_Opus_and_stores_the_Ogg_Opus_stream_it_returns(string format, string contentType)
    {
        host.Emulator.Reset();

        var synthesized = await host.SynthesizedAsync(host.Speech(voice: SarahId, format: format));

        host.Emulator.SpeechCalls.ShouldHaveSingleItem().OutputFormat.ShouldBe("opus_48000_64");
        synthesized.Format.ShouldBe(format);
        var blob = (await host.Blobs.GetAsync(synthesized.Audio.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe(contentType);
        System.Text.Encoding.ASCII.GetString(blob.Bytes, 0, 4).ShouldBe("OggS");
        System.Text.Encoding.ASCII.GetString(blob.Bytes, 28, 8).ShouldBe("OpusHead");
    }

    [Fact]
    public async Task Asks_for_pcm_24000_and_stores_raw_PCM_with_its_duration()
    {
        host.Emulator.Reset();

        var synthesized = await host.SynthesizedAsync(host.Speech("Hello there", voice: SarahId, format: "pcm"));

        host.Emulator.SpeechCalls.ShouldHaveSingleItem().OutputFormat.ShouldBe("pcm_24000");
        var blob = (await host.Blobs.GetAsync(synthesized.Audio.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("audio/pcm");
        blob.Bytes.Length.ShouldBe((int)(24000 * EmulatedAudio.DurationFor("Hello there")) * 2);
        synthesized.DurationSeconds.ShouldBe(EmulatedAudio.DurationFor("Hello there"), 0.001);
    }

    [Theory]
    [InlineData("flac")]
    [InlineData("aac")]
    public async Task Answers_400_naming_response_format_for_a_format_ElevenLabs_cannot_produce_without_calling_it(string format)
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(voice: SarahId, format: format));

        error.Status.ShouldBe(400);
        error.Details!["param"].ShouldBe("response_format");
        error.Message.ShouldContain(format);
        host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Sends_speed_as_voice_settings_speed_with_the_documented_default_stability_and_similarity()
    {
        host.Emulator.Reset();

        await host.SynthesizedAsync(host.Speech(voice: SarahId) with { Speed = 1.15 });

        var settings = LastBody().GetProperty("voice_settings");
        settings.GetProperty("speed").GetDouble().ShouldBe(1.15);
        settings.GetProperty("stability").GetDouble().ShouldBe(0.5);
        settings.GetProperty("similarity_boost").GetDouble().ShouldBe(0.75);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.5)]
    public async Task Answers_400_naming_speed_outside_ElevenLabs_range_without_calling_it(double speed)
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(voice: SarahId) with { Speed = speed });

        error.Status.ShouldBe(400);
        error.Details!["param"].ShouldBe("speed");
        error.Message.ShouldContain("between 0.7 and 1.2");
        host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_400_naming_instructions_which_ElevenLabs_does_not_take()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(voice: SarahId) with { Instructions = "Speak like a pirate" });

        error.Status.ShouldBe(400);
        error.Code.ShouldBe("unsupported_parameter");
        error.Details!["param"].ShouldBe("instructions");
        host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_400_naming_input_with_the_providers_message_when_the_text_exceeds_the_models_limit()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(new string('a', 5001), voice: SarahId, model: "eleven_v3"));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("exceeds the character limit of 5000 characters");
        error.Details!["param"].ShouldBe("input");
        error.Details["provider_code"].ShouldBe("max_character_limit_exceeded");
    }

    [Fact]
    public async Task Answers_400_with_ElevenLabs_validation_message_for_a_422_naming_the_CCAPI_field()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech("", voice: SarahId));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("input: String should have at least 1 character");
        error.Details!["param"].ShouldBe("input");
        error.Details["upstream_status"].ShouldBe("422");
        host.Emulator.SpeechCalls.Count.ShouldBe(1, "a 4xx is never retried");
    }

    [Fact]
    public async Task Answers_400_with_the_providers_message_for_a_model_ElevenLabs_does_not_have()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(voice: SarahId, model: "eleven_imaginary_v9"));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("'eleven_imaginary_v9'");
    }
}
