using System.Buffers.Binary;
using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Emulators.ElevenLabs;

namespace CCApi.Adapters.ElevenLabs.Tests.Unit;

public sealed class OutputFormatsTests
{
    [Theory]
    [InlineData("mp3", "mp3_44100_128", "audio/mpeg")]
    [InlineData("wav", "wav_24000", "audio/wav")]
    [InlineData("ogg", "opus_48000_64", "audio/ogg")]
    [InlineData("opus", "opus_48000_64", "audio/opus")]
    [InlineData("pcm", "pcm_24000", "audio/pcm")]
    [InlineData("MP3", "mp3_44100_128", "audio/mpeg")]
    public void Maps_CCAPI_formats_to_ElevenLabs_output_formats_available_on_every_tier(string format, string providerFormat, string contentType)
    {
        var mapped = OutputFormats.For(format).ShouldNotBeNull();

        mapped.ProviderFormat.ShouldBe(providerFormat);
        mapped.ContentType.ShouldBe(contentType);
        ElevenLabsEmulator.OutputFormats.ShouldContain(mapped.ProviderFormat);
    }

    [Theory]
    [InlineData("flac")]
    [InlineData("aac")]
    [InlineData("m4a")]
    public void Has_no_mapping_for_formats_ElevenLabs_cannot_produce(string format) => OutputFormats.For(format).ShouldBeNull();

    [Theory]
    [InlineData("mp3")]
    [InlineData("wav")]
    [InlineData("ogg")]
    [InlineData("opus")]
    [InlineData("pcm")]
    public void Accepts_the_container_each_format_really_comes_in(string format)
    {
        var mapped = OutputFormats.For(format)!;
        var (audio, _) = EmulatedAudio.For(mapped.ProviderFormat, "Hello there");

        OutputFormats.Matches(mapped.Container, audio).ShouldBeTrue();
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("wav")]
    [InlineData("ogg")]
    public void Rejects_bytes_that_are_not_the_requested_container(string format)
    {
        OutputFormats.Matches(OutputFormats.For(format)!.Container, EmulatedAudio.NotAudio()).ShouldBeFalse();
    }

    [Fact]
    public void Rejects_an_Ogg_stream_that_is_not_Opus()
    {
        var vorbis = EmulatedAudio.OggOpus(1);
        "\u0001vorbis\0"u8.CopyTo(vorbis.AsSpan(28));

        OutputFormats.Matches(AudioContainer.OggOpus, vorbis).ShouldBeFalse();
    }

    [Fact]
    public void Rejects_raw_PCM_with_half_a_sample()
    {
        OutputFormats.Matches(AudioContainer.RawPcm16, new byte[] { 1, 2, 3 }).ShouldBeFalse();
        OutputFormats.Matches(AudioContainer.RawPcm16, new byte[] { 1, 2, 3, 4 }).ShouldBeTrue();
    }

    [Fact]
    public void Reads_a_WAV_header_and_its_duration()
    {
        var wav = EmulatedAudio.Wav(24000, EmulatedAudio.Pcm16(24000, 0.5));

        OutputFormats.TryReadWav(wav, out var info).ShouldBeTrue();
        info.Channels.ShouldBe(1);
        info.SampleRate.ShouldBe(24000);
        info.BitsPerSample.ShouldBe(16);
        info.DataLength.ShouldBe(24000);
        OutputFormats.DurationSeconds(OutputFormats.For("wav")!, wav).ShouldBe(0.5, 0.0001);
    }

    [Fact]
    public void Skips_chunks_before_data_and_counts_only_the_bytes_present_of_a_streamed_WAV()
    {
        var pcm = EmulatedAudio.Pcm16(16000, 0.25);
        var plain = EmulatedAudio.Wav(16000, pcm);
        var list = new byte[] { (byte)'L', (byte)'I', (byte)'S', (byte)'T', 4, 0, 0, 0, 1, 2, 3, 4 };
        var wav = plain[..36].Concat(list).Concat(plain[36..]).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(36 + list.Length + 4), uint.MaxValue); // "size unknown", as streams write it

        OutputFormats.TryReadWav(wav, out var info).ShouldBeTrue();
        info.DataLength.ShouldBe(pcm.Length);
    }

    [Fact]
    public void Refuses_a_WAV_whose_data_comes_before_its_format()
    {
        var wav = "RIFF\0\0\0\0WAVEdata\u0004\0\0\0\u0001\u0002\u0003\u0004"u8.ToArray();

        OutputFormats.TryReadWav(wav, out _).ShouldBeFalse();
    }

    [Fact]
    public void Knows_the_duration_of_raw_PCM_and_not_of_compressed_audio()
    {
        OutputFormats.DurationSeconds(OutputFormats.For("pcm")!, new byte[48000]).ShouldBe(1.0);
        OutputFormats.DurationSeconds(OutputFormats.For("mp3")!, EmulatedAudio.Mp3(1)).ShouldBe(0);
    }

    [Fact]
    public void Emulated_Ogg_pages_carry_a_valid_CRC()
    {
        var ogg = EmulatedAudio.OggOpus(0.5);
        var firstPageLength = 27 + ogg[26] + ogg.AsSpan(27, ogg[26]).ToArray().Sum(b => b);
        var page = ogg[..firstPageLength];
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(22));
        page.AsSpan(22, 4).Clear();

        EmulatedAudio.OggCrc(page).ShouldBe(stored);
    }
}
