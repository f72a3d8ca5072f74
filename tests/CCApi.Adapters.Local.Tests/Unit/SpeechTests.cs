using System.Buffers.Binary;
using System.Text;
using CCApi.Adapters.Local.Audio;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Tests.Unit;

public class VoiceMappingTests
{
    [Fact]
    public void Every_catalog_voice_maps_to_an_espeak_voice_and_variant()
    {
        string[] catalog = ["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "aria", "roger", "sarah", "laura", "charlie", "george"];

        Voices.Names.ShouldBe(catalog);
        foreach (var voice in catalog)
        {
            Voices.EspeakVoice(voice).ShouldNotBeNull().ShouldMatch(@"^en(-[a-z0-9-]+)?\+[a-z0-9]+$");
        }
    }

    [Fact]
    public void Voice_names_are_case_insensitive()
    {
        Voices.EspeakVoice("Aria").ShouldBe(Voices.EspeakVoice("aria"));
        Voices.EspeakVoice("ONYX").ShouldBe("en-us+m7");
    }

    [Fact]
    public void Returns_400_on_voice_listing_the_valid_voices_for_an_unknown_voice()
    {
        var ex = Should.Throw<ApiException>(() => SpeechSynthesizer.Validate("hello", "darth", "mp3", null));

        ex.Status.ShouldBe(400);
        ex.Type.ShouldBe(ErrorTypes.InvalidRequest);
        ex.Details!["param"].ShouldBe("voice");
        ex.Message.ShouldContain("alloy");
        ex.Message.ShouldContain("george");
    }

    [Theory]
    [InlineData("", "mp3", null, "input")]
    [InlineData("hi", "aac", null, "output_format")]
    [InlineData("hi", "", null, "output_format")]
    [InlineData("hi", "mp3", 0.1, "speed")]
    [InlineData("hi", "mp3", 4.5, "speed")]
    public void Returns_400_naming_the_field_for_bad_speech_requests(string input, string format, double? speed, string field)
    {
        var ex = Should.Throw<ApiException>(() => SpeechSynthesizer.Validate(input, "alloy", format, speed));

        ex.Details!["param"].ShouldBe(field);
    }

    [Fact]
    public void Returns_400_on_input_longer_than_4096_characters()
    {
        SpeechSynthesizer.Validate(new string('a', 4096), "alloy", "wav", null).ShouldNotBe(default);
        var ex = Should.Throw<ApiException>(() => SpeechSynthesizer.Validate(new string('a', 4097), "alloy", "wav", null));

        ex.Details!["param"].ShouldBe("input");
    }

    [Theory]
    [InlineData(null, 175)]
    [InlineData(1.0, 175)]
    [InlineData(2.0, 350)]
    [InlineData(0.5, 88)]
    [InlineData(0.25, 80)]
    [InlineData(4.0, 450)]
    public void Speed_maps_to_espeak_words_per_minute(double? speed, int wpm)
    {
        SpeechSynthesizer.WordsPerMinute(speed).ShouldBe(wpm);
    }
}

public class WavAudioTests
{
    [Fact]
    public void Reads_a_streamed_wav_whose_sizes_are_placeholders_and_writes_real_sizes()
    {
        var samples = new byte[] { 1, 0, 2, 0, 3, 0, 4, 0 };
        var streamed = new WavAudio(22050, 1, samples).ToWav();
        BinaryPrimitives.WriteInt32LittleEndian(streamed.AsSpan(4), 0x7FFFF024);  // as espeak-ng --stdout writes them
        BinaryPrimitives.WriteInt32LittleEndian(streamed.AsSpan(40), 0x7FFFF000);

        var audio = WavAudio.Parse(streamed);
        var rewritten = audio.ToWav();

        audio.SampleRate.ShouldBe(22050);
        audio.Samples.ShouldBe(samples);
        BinaryPrimitives.ReadInt32LittleEndian(rewritten.AsSpan(4)).ShouldBe(36 + samples.Length);
        BinaryPrimitives.ReadInt32LittleEndian(rewritten.AsSpan(40)).ShouldBe(samples.Length);
    }

    [Fact]
    public void Resampling_to_24_khz_keeps_the_duration()
    {
        var audio = new WavAudio(22050, 1, new byte[22050 * 2]);

        var resampled = audio.ResampleMono(24000);

        resampled.SampleRate.ShouldBe(24000);
        resampled.Samples.Length.ShouldBe(24000 * 2);
        resampled.DurationSeconds.ShouldBe(1.0, 0.001);
    }

    [Fact]
    public void Rejects_bytes_that_are_not_a_wav()
    {
        Should.Throw<FormatException>(() => WavAudio.Parse(Encoding.ASCII.GetBytes("definitely not audio")));
    }
}

/// <summary>Runs the real espeak-ng and encoders (installed here and by test.sh).</summary>
public class AudioFormatTests
{
    private static readonly SpeechSynthesizer Synthesizer = new(Options.Create(new LocalAdapterOptions()));

    private static Task<SynthesizedAudio> Say(string format, string voice = "alloy", string text = "Welcome to CCAPI, your unified AI gateway.") =>
        Synthesizer.SynthesizeAsync(text, voice, format, null, CancellationToken.None);

    [Fact]
    public async Task Wav_has_a_correct_riff_header_at_22050_hz_mono()
    {
        var audio = await Say("wav");

        audio.ContentType.ShouldBe("audio/wav");
        var bytes = audio.Bytes;
        Encoding.ASCII.GetString(bytes, 0, 4).ShouldBe("RIFF");
        Encoding.ASCII.GetString(bytes, 8, 4).ShouldBe("WAVE");
        BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)).ShouldBe(bytes.Length - 8);
        BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(22)).ShouldBe((short)1);
        BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24)).ShouldBe(22050);
        BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(40)).ShouldBe(bytes.Length - 44);
        audio.DurationSeconds.ShouldBe((bytes.Length - 44) / 2.0 / 22050, 0.001);
        audio.DurationSeconds.ShouldBeGreaterThan(1.0);
    }

    [Fact]
    public async Task Mp3_starts_with_an_mpeg_frame_sync()
    {
        var audio = await Say("mp3");

        audio.ContentType.ShouldBe("audio/mpeg");
        var b = audio.Bytes;
        var frameSync = b[0] == 0xFF && (b[1] & 0xE0) == 0xE0;
        var id3 = Encoding.ASCII.GetString(b, 0, 3) == "ID3";
        (frameSync || id3).ShouldBeTrue();
    }

    [Theory]
    [InlineData("ogg", "audio/ogg", "vorbis")]
    [InlineData("opus", "audio/opus", "OpusHead")]
    public async Task Ogg_and_opus_are_ogg_streams_of_their_codec(string format, string contentType, string codecHeader)
    {
        var audio = await Say(format);

        audio.ContentType.ShouldBe(contentType);
        Encoding.ASCII.GetString(audio.Bytes, 0, 4).ShouldBe("OggS");
        Encoding.ASCII.GetString(audio.Bytes, 0, 64).ShouldContain(codecHeader);
    }

    [Fact]
    public async Task Flac_starts_with_its_marker()
    {
        var audio = await Say("flac");

        audio.ContentType.ShouldBe("audio/flac");
        Encoding.ASCII.GetString(audio.Bytes, 0, 4).ShouldBe("fLaC");
    }

    [Fact]
    public async Task Pcm_is_headerless_24_khz_16_bit_samples()
    {
        var wav = await Say("wav");
        var pcm = await Say("pcm");

        pcm.ContentType.ShouldBe("audio/pcm");
        Encoding.ASCII.GetString(pcm.Bytes, 0, 4).ShouldNotBe("RIFF");
        (pcm.Bytes.Length % 2).ShouldBe(0);
        (pcm.Bytes.Length / 2.0 / 24000).ShouldBe(wav.DurationSeconds, 0.01);
    }

    [Fact]
    public async Task Same_request_gives_identical_audio()
    {
        (await Say("ogg")).Bytes.ShouldBe((await Say("ogg")).Bytes);
    }

    [Fact]
    public async Task Every_mapped_voice_synthesizes()
    {
        foreach (var voice in Voices.Names)
        {
            (await Say("wav", voice, "Hi.")).DurationSeconds.ShouldBeGreaterThan(0.1, voice);
        }
    }

    [Fact]
    public async Task Text_that_looks_like_options_is_spoken_not_parsed()
    {
        var audio = await Say("wav", text: "--help -v xx; rm -rf / $(reboot)");

        audio.DurationSeconds.ShouldBeGreaterThan(1.0);
    }

    [Fact]
    public async Task A_missing_program_is_reported_as_missing()
    {
        var broken = new SpeechSynthesizer(Options.Create(new LocalAdapterOptions { EspeakPath = "/nonexistent/espeak-ng" }));

        var ex = await Should.ThrowAsync<ExternalToolException>(() => broken.SynthesizeAsync("hi", "alloy", "wav", null, CancellationToken.None));

        ex.Missing.ShouldBeTrue();
    }

    [Fact]
    public async Task A_failing_program_is_reported_with_its_exit_code()
    {
        var ex = await Should.ThrowAsync<ExternalToolException>(() =>
            ExternalTool.RunAsync("sh", ["-c", "echo broken >&2; exit 3"], Array.Empty<byte>(), TimeSpan.FromSeconds(10), CancellationToken.None));

        ex.Missing.ShouldBeFalse();
        ex.Message.ShouldContain("code 3");
        ex.Message.ShouldContain("broken");
    }

    [Fact]
    public async Task A_program_that_runs_past_the_timeout_is_killed()
    {
        var ex = await Should.ThrowAsync<ExternalToolException>(() =>
            ExternalTool.RunAsync("sleep", ["30"], Array.Empty<byte>(), TimeSpan.FromMilliseconds(200), CancellationToken.None));

        ex.Message.ShouldContain("did not finish");
    }
}
