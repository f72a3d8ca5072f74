using System.Buffers.Binary;
using System.Text;

namespace CCApi.Emulators;

/// <summary>
/// Short, silent audio in the container a real provider would send for each format — the right magic bytes and a
/// valid header — so adapters and clients that sniff or parse the audio see what they would see in production.
/// </summary>
public static class AudioSamples
{
    /// <summary>Bytes for <paramref name="format"/> (mp3, wav, pcm, flac, opus/ogg, aac), about <paramref name="seconds"/> long.</summary>
    public static byte[] For(string format, double seconds = 0.25) => format.ToLowerInvariant() switch
    {
        "wav" => Wav(Pcm(seconds, 24_000), 24_000),
        "pcm" => Pcm(seconds, 24_000),
        "flac" => [.. "fLaC"u8, 0x80, 0x00, 0x00, 0x22, .. new byte[34]],
        "opus" or "ogg" => [.. "OggS"u8, 0x00, 0x02, .. new byte[20], 0x01, 0x13, .. "OpusHead"u8, 0x01, 0x01, 0x38, 0x01, 0x80, 0xBB, 0x00, 0x00, 0x00, 0x00, 0x00],
        "aac" => Repeat([0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC, .. new byte[9]], Frames(seconds, 1024.0 / 24_000)),
        _ => Repeat([0xFF, 0xFB, 0x90, 0x64, .. new byte[413]], Frames(seconds, 1152.0 / 44_100)), // MPEG-1 layer III 128 kbit/s 44.1 kHz
    };

    /// <summary>16-bit mono little-endian silence.</summary>
    public static byte[] Pcm(double seconds, int sampleRate) => new byte[(int)(seconds * sampleRate) * 2];

    /// <summary>A RIFF/WAVE file around 16-bit mono PCM.</summary>
    public static byte[] Wav(byte[] pcm, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(pcm);
        var wav = new byte[44 + pcm.Length];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(wav, 0);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(4), 36 + pcm.Length);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(wav, 8);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(24), sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(28), sampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(34), 16);
        Encoding.ASCII.GetBytes("data").CopyTo(wav, 36);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(40), pcm.Length);
        pcm.CopyTo(wav, 44);
        return wav;
    }

    private static int Frames(double seconds, double frameSeconds) => Math.Max(1, (int)Math.Ceiling(seconds / frameSeconds));

    private static byte[] Repeat(byte[] frame, int times)
    {
        var bytes = new byte[frame.Length * times];
        for (var i = 0; i < times; i++)
        {
            frame.CopyTo(bytes, i * frame.Length);
        }

        return bytes;
    }
}
