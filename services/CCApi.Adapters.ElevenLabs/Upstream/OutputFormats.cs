using System.Buffers.Binary;

namespace CCApi.Adapters.ElevenLabs.Upstream;

/// <summary>The container an ElevenLabs output format comes in, which is what the adapter checks the bytes against.</summary>
public enum AudioContainer
{
    /// <summary>MPEG audio frames (optionally after an ID3 tag).</summary>
    Mp3,

    /// <summary>RIFF/WAVE with a PCM "fmt " chunk.</summary>
    Wav,

    /// <summary>Ogg pages carrying an Opus stream ("OggS" … "OpusHead").</summary>
    OggOpus,

    /// <summary>Headerless 16-bit signed little-endian mono samples.</summary>
    RawPcm16,
}

/// <summary>
/// One CCAPI speech format and how it is asked of ElevenLabs: the <c>output_format</c> query value
/// (codec_samplerate[_bitrate]), the content type the audio is stored under, and the container the bytes must be.
/// </summary>
public sealed record OutputFormat(string Format, string ProviderFormat, string ContentType, AudioContainer Container, int? SampleRate = null);

/// <summary>
/// CCAPI speech formats (Speech.Format: mp3, wav, ogg, opus, flac, aac, pcm) → ElevenLabs output formats. Only formats
/// available on every subscription tier are used (mp3 at 192 kbps needs Creator, PCM/WAV at 44.1 kHz need Pro).
/// ElevenLabs has no FLAC or AAC output: those are rejected before any call.
/// </summary>
public static class OutputFormats
{
    private static readonly Dictionary<string, OutputFormat> Table = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mp3"] = new("mp3", "mp3_44100_128", "audio/mpeg", AudioContainer.Mp3),
        ["wav"] = new("wav", "wav_24000", "audio/wav", AudioContainer.Wav, 24000),
        // ElevenLabs' opus_* formats are Opus in an Ogg container (an .ogg/.opus file): "ogg" and "opus" are the same bytes.
        ["ogg"] = new("ogg", "opus_48000_64", "audio/ogg", AudioContainer.OggOpus),
        ["opus"] = new("opus", "opus_48000_64", "audio/opus", AudioContainer.OggOpus),
        // 24 kHz, like OpenAI's "pcm", so clients that play OpenAI's raw PCM play this too.
        ["pcm"] = new("pcm", "pcm_24000", "audio/pcm", AudioContainer.RawPcm16, 24000),
    };

    /// <summary>The CCAPI formats this provider can produce.</summary>
    public static IReadOnlyCollection<string> Supported { get; } = [.. Table.Keys];

    public static OutputFormat? For(string format) => Table.GetValueOrDefault(format.Trim());

    /// <summary>True when <paramref name="audio"/> is what <paramref name="container"/> promises (magic bytes and framing).</summary>
    public static bool Matches(AudioContainer container, ReadOnlySpan<byte> audio) => container switch
    {
        AudioContainer.Mp3 => audio.Length >= 4 && (audio.StartsWith("ID3"u8) || IsMpegFrameHeader(audio)),
        AudioContainer.Wav => TryReadWav(audio, out _),
        AudioContainer.OggOpus => audio.Length >= 36 && audio.StartsWith("OggS"u8) && audio[28..36].SequenceEqual("OpusHead"u8),
        AudioContainer.RawPcm16 => audio.Length >= 2 && audio.Length % 2 == 0,
        _ => false,
    };

    /// <summary>Seconds of audio where the container says it exactly (WAV, raw PCM); 0 where it would take decoding.</summary>
    public static double DurationSeconds(OutputFormat format, ReadOnlySpan<byte> audio) => format.Container switch
    {
        AudioContainer.RawPcm16 when format.SampleRate is { } rate => audio.Length / 2.0 / rate,
        AudioContainer.Wav when TryReadWav(audio, out var wav) && wav.ByteRate > 0 => (double)wav.DataLength / wav.ByteRate,
        _ => 0,
    };

    /// <summary>What a RIFF/WAVE file's "fmt " and "data" chunks say.</summary>
    public readonly record struct WavInfo(int Channels, int SampleRate, int BitsPerSample, int ByteRate, long DataLength);

    /// <summary>
    /// Reads a RIFF/WAVE header: "RIFF" size "WAVE", then chunks until "data". A data size larger than what is there
    /// (streamed WAVs write 0xFFFFFFFF) counts as the bytes present.
    /// </summary>
    public static bool TryReadWav(ReadOnlySpan<byte> bytes, out WavInfo info)
    {
        info = default;
        if (bytes.Length < 12 || !bytes.StartsWith("RIFF"u8) || !bytes[8..12].SequenceEqual("WAVE"u8))
        {
            return false;
        }

        int channels = 0, sampleRate = 0, bits = 0, byteRate = 0;
        var offset = 12;
        while (offset + 8 <= bytes.Length)
        {
            var id = bytes.Slice(offset, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(offset + 4, 4));
            var body = offset + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > bytes.Length)
                {
                    return false;
                }

                channels = BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(body + 2, 2));
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(body + 4, 4));
                byteRate = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(body + 8, 4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(body + 14, 2));
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (channels == 0 || sampleRate <= 0)
                {
                    return false; // "data" before "fmt ": not a file anyone can play
                }

                info = new WavInfo(channels, sampleRate, bits, byteRate, Math.Min(size, (long)(bytes.Length - body)));
                return true;
            }

            var next = (long)body + size + (size & 1); // chunks are word-aligned
            if (next > bytes.Length)
            {
                break;
            }

            offset = (int)next;
        }

        return false;
    }

    /// <summary>An MPEG audio frame header: 11 sync bits, a defined version and layer, a bitrate index that is not "bad".</summary>
    private static bool IsMpegFrameHeader(ReadOnlySpan<byte> b) =>
        b[0] == 0xFF && (b[1] & 0xE0) == 0xE0 // frame sync
        && (b[1] & 0x18) != 0x08              // version not "reserved"
        && (b[1] & 0x06) != 0x00              // layer not "reserved"
        && (b[2] & 0xF0) != 0xF0              // bitrate index not "bad"
        && (b[2] & 0x0C) != 0x0C;             // sample rate not "reserved"
}
