using System.Buffers.Binary;
using System.Text;

namespace CCApi.Emulators.ElevenLabs;

/// <summary>
/// Real audio of each ElevenLabs output format, so adapters are tested on the containers the provider really returns:
/// a tone as 16-bit PCM (raw, or in a RIFF/WAVE file), MPEG-1 Layer III frames, Ogg pages carrying an Opus stream
/// (OpusHead, OpusTags, then 20 ms packets), or G.711 μ-law/A-law bytes. Length follows the text (60 ms a character,
/// 0.25–3 s).
/// </summary>
public static class EmulatedAudio
{
    public static double DurationFor(string text) => Math.Clamp(text.Length * 0.06, 0.25, 3.0);

    /// <summary>The bytes and content type for an ElevenLabs output_format (codec_samplerate[_bitrate]).</summary>
    public static (byte[] Bytes, string ContentType) For(string outputFormat, string text)
    {
        var seconds = DurationFor(text);
        var parts = outputFormat.Split('_');
        var rate = parts.Length > 1 && int.TryParse(parts[1], out var r) ? r : 44100;
        return parts[0] switch
        {
            "mp3" => (Mp3(seconds), "audio/mpeg"),
            "pcm" => (Pcm16(rate, seconds), "audio/pcm"),
            "wav" => (Wav(rate, Pcm16(rate, seconds)), "audio/wav"),
            "opus" => (OggOpus(seconds), "audio/ogg"),
            "ulaw" => (Filled((int)(rate * seconds), 0xFF), "audio/basic"),
            "alaw" => (Filled((int)(rate * seconds), 0xD5), "audio/alaw"),
            _ => throw new ArgumentOutOfRangeException(nameof(outputFormat), outputFormat, "not an ElevenLabs output format"),
        };
    }

    /// <summary>A 220 Hz tone, signed 16-bit little-endian mono.</summary>
    public static byte[] Pcm16(int sampleRate, double seconds)
    {
        var samples = (int)(sampleRate * seconds);
        var bytes = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            var value = (short)(8000 * Math.Sin(2 * Math.PI * 220 * i / sampleRate));
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), value);
        }

        return bytes;
    }

    /// <summary>A canonical 44-byte RIFF/WAVE header (PCM, mono, 16-bit) in front of <paramref name="pcm"/>.</summary>
    public static byte[] Wav(int sampleRate, byte[] pcm)
    {
        var bytes = new byte[44 + pcm.Length];
        var span = bytes.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + pcm.Length);
        "WAVE"u8.CopyTo(span[8..]);
        "fmt "u8.CopyTo(span[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);              // PCM
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1);              // mono
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], sampleRate * 2); // byte rate
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);              // block align
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);             // bits per sample
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], pcm.Length);
        pcm.CopyTo(span[44..]);
        return bytes;
    }

    /// <summary>MPEG-1 Layer III frames, 128 kbit/s, 44.1 kHz, mono (417 bytes each, silent).</summary>
    public static byte[] Mp3(double seconds)
    {
        const int frameLength = 144 * 128_000 / 44_100;
        var frames = (int)Math.Ceiling(seconds * 44_100 / 1152);
        var bytes = new byte[frames * frameLength];
        for (var f = 0; f < frames; f++)
        {
            var at = f * frameLength;
            bytes[at] = 0xFF;
            bytes[at + 1] = 0xFB; // sync, MPEG-1, Layer III, no CRC
            bytes[at + 2] = 0x90; // 128 kbit/s, 44.1 kHz, no padding
            bytes[at + 3] = 0xC4; // mono, original
        }

        return bytes;
    }

    /// <summary>An Ogg Opus stream (RFC 7845): OpusHead page, OpusTags page, one page of 20 ms packets.</summary>
    public static byte[] OggOpus(double seconds)
    {
        const uint serial = 0x43434150; // "CCAP"
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1;                                                 // version
        head[9] = 1;                                                 // channels
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), 312); // pre-skip
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), 24_000); // input sample rate
        var vendor = "ccapi-emulator"u8;
        var tags = new byte[8 + 4 + vendor.Length + 4];
        "OpusTags"u8.CopyTo(tags);
        BinaryPrimitives.WriteInt32LittleEndian(tags.AsSpan(8), vendor.Length);
        vendor.CopyTo(tags.AsSpan(12));

        var packets = Math.Min(255, (int)Math.Ceiling(seconds / 0.02));
        // TOC 0xF8: config 31 (CELT, fullband, 20 ms), mono, one frame; no frame bytes = a silent (concealed) frame.
        var audio = Enumerable.Repeat(new byte[] { 0xF8 }, packets).ToList();

        using var stream = new MemoryStream();
        WritePage(stream, serial, 0, 0x02, 0, [head]);
        WritePage(stream, serial, 1, 0x00, 0, [tags]);
        WritePage(stream, serial, 2, 0x04, 312 + (packets * 960L), audio);
        return stream.ToArray();
    }

    private static void WritePage(Stream stream, uint serial, uint sequence, byte flags, long granule, IReadOnlyList<byte[]> packets)
    {
        var lacing = new List<byte>();
        foreach (var packet in packets)
        {
            var left = packet.Length;
            while (left >= 255)
            {
                lacing.Add(255);
                left -= 255;
            }

            lacing.Add((byte)left);
        }

        var page = new byte[27 + lacing.Count + packets.Sum(p => p.Length)];
        var span = page.AsSpan();
        "OggS"u8.CopyTo(span);
        span[4] = 0; // version
        span[5] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(span[6..], granule);
        BinaryPrimitives.WriteUInt32LittleEndian(span[14..], serial);
        BinaryPrimitives.WriteUInt32LittleEndian(span[18..], sequence);
        span[26] = (byte)lacing.Count;
        lacing.ToArray().CopyTo(span[27..]);
        var at = 27 + lacing.Count;
        foreach (var packet in packets)
        {
            packet.CopyTo(span[at..]);
            at += packet.Length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[22..], OggCrc(page)); // computed with the CRC field zero
        stream.Write(page);
    }

    /// <summary>Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0, no final XOR.</summary>
    public static uint OggCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (var b in data)
        {
            crc ^= (uint)b << 24;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
            }
        }

        return crc;
    }

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[Math.Max(1, length)];
        Array.Fill(bytes, value);
        return bytes;
    }

    /// <summary>Not audio of any kind (the Malformed failure mode).</summary>
    public static byte[] NotAudio() => Encoding.ASCII.GetBytes("<!doctype html><title>upstream proxy error</title>");
}
