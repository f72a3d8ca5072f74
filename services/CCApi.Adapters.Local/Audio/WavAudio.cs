using System.Buffers.Binary;

namespace CCApi.Adapters.Local.Audio;

/// <summary>
/// 16-bit PCM audio read from a RIFF/WAVE file. espeak-ng's <c>--stdout</c> WAV is streamed, so its RIFF and data sizes
/// are placeholders (0x7FFFF000…); the reader trusts the bytes actually present, and <see cref="ToWav"/> writes a
/// header with the real sizes.
/// </summary>
public sealed class WavAudio
{
    public WavAudio(int sampleRate, short channels, byte[] samples)
    {
        SampleRate = sampleRate;
        Channels = channels;
        Samples = samples;
    }

    public int SampleRate { get; }
    public short Channels { get; }

    /// <summary>Interleaved 16-bit signed little-endian samples.</summary>
    public byte[] Samples { get; }

    public double DurationSeconds => Samples.Length / 2.0 / Channels / SampleRate;

    public static WavAudio Parse(ReadOnlySpan<byte> wav)
    {
        if (wav.Length < 12 || !wav[..4].SequenceEqual("RIFF"u8) || !wav[8..12].SequenceEqual("WAVE"u8))
        {
            throw new FormatException("Not a RIFF/WAVE file.");
        }

        int? rate = null;
        short channels = 1;
        var position = 12;
        while (position + 8 <= wav.Length)
        {
            var id = wav.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(wav.Slice(position + 4, 4));
            var body = position + 8;
            var available = wav.Length - body;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || available < 16)
                {
                    throw new FormatException("Truncated fmt chunk.");
                }

                var format = BinaryPrimitives.ReadInt16LittleEndian(wav.Slice(body, 2));
                channels = BinaryPrimitives.ReadInt16LittleEndian(wav.Slice(body + 2, 2));
                rate = BinaryPrimitives.ReadInt32LittleEndian(wav.Slice(body + 4, 4));
                var bits = BinaryPrimitives.ReadInt16LittleEndian(wav.Slice(body + 14, 2));
                if (format != 1 || bits != 16 || channels < 1)
                {
                    throw new FormatException($"Unsupported WAV encoding (format {format}, {bits} bits, {channels} channels).");
                }
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (rate is null)
                {
                    throw new FormatException("data chunk before fmt chunk.");
                }

                var length = (int)Math.Min(size, (uint)available) & ~1; // streamed files claim more than they hold
                return new WavAudio(rate.Value, channels, wav.Slice(body, length).ToArray());
            }

            position = body + (int)Math.Min(size + (size & 1), (uint)available);
        }

        throw new FormatException("No data chunk.");
    }

    /// <summary>A canonical 44-byte-header WAV with correct sizes.</summary>
    public byte[] ToWav()
    {
        var wav = new byte[44 + Samples.Length];
        var span = wav.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + Samples.Length);
        "WAVE"u8.CopyTo(span[8..]);
        "fmt "u8.CopyTo(span[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], Channels);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], SampleRate * Channels * 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], (short)(Channels * 2));
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], Samples.Length);
        Samples.CopyTo(span[44..]);
        return wav;
    }

    /// <summary>Linear-interpolation resampling of mono 16-bit audio (good enough for speech; no anti-alias filter needed when upsampling).</summary>
    public WavAudio ResampleMono(int targetRate)
    {
        if (Channels != 1)
        {
            throw new InvalidOperationException("Only mono audio is resampled.");
        }

        if (targetRate == SampleRate || Samples.Length < 4)
        {
            return new WavAudio(targetRate, 1, Samples);
        }

        var input = Samples.Length / 2;
        var output = (int)((long)input * targetRate / SampleRate);
        var result = new byte[output * 2];
        var step = (double)SampleRate / targetRate;
        for (var i = 0; i < output; i++)
        {
            var position = i * step;
            var index = (int)position;
            var fraction = position - index;
            var a = BinaryPrimitives.ReadInt16LittleEndian(Samples.AsSpan(index * 2));
            var b = index + 1 < input ? BinaryPrimitives.ReadInt16LittleEndian(Samples.AsSpan((index + 1) * 2)) : a;
            BinaryPrimitives.WriteInt16LittleEndian(result.AsSpan(i * 2), (short)Math.Round(a + ((b - a) * fraction)));
        }

        return new WavAudio(targetRate, 1, result);
    }
}
