using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Audio;

/// <summary>Encoded audio and what it is.</summary>
public sealed record SynthesizedAudio(byte[] Bytes, string Format, string ContentType, double DurationSeconds);

/// <summary>
/// espeak-1: real formant synthesis by espeak-ng (22 050 Hz, 16-bit mono WAV on stdout, text on stdin), then encoding
/// with the usual command-line encoders. Every program runs from an argument list with a timeout.
/// </summary>
public sealed class SpeechSynthesizer(IOptions<LocalAdapterOptions> options)
{
    public const int MaxInputCharacters = 4096;

    /// <summary>espeak-ng's default rate, which OpenAI's speed 1.0 maps to.</summary>
    public const int DefaultWordsPerMinute = 175;

    private readonly LocalAdapterOptions _options = options.Value;

    /// <summary>Checks the request before any program runs; throws <see cref="ApiException"/> (400) naming the field.</summary>
    public static (string EspeakVoice, int WordsPerMinute, string ContentType) Validate(string input, string voice, string format, double? speed)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            throw ApiException.Missing("input");
        }

        if (input.Length > MaxInputCharacters)
        {
            throw ApiException.BadField("input", $"'input' is {input.Length} characters long; the maximum is {MaxInputCharacters}.");
        }

        var espeakVoice = Voices.EspeakVoice(voice ?? "")
            ?? throw ApiException.BadField("voice", $"Unknown voice '{voice}'. Valid voices: {string.Join(", ", Voices.Names)}.");

        var contentType = AudioFormats.ContentType(format ?? "")
            ?? throw ApiException.BadField("output_format", $"Unsupported output format '{format}'. Supported: {string.Join(", ", AudioFormats.All)}.");

        if (speed is { } s && (double.IsNaN(s) || s < 0.25 || s > 4.0))
        {
            throw ApiException.BadField("speed", "'speed' must be between 0.25 and 4.0.");
        }

        return (espeakVoice, WordsPerMinute(speed), contentType);
    }

    /// <summary>speed × 175 wpm, clamped to what espeak-ng can do (80…450 wpm).</summary>
    public static int WordsPerMinute(double? speed) =>
        Math.Clamp((int)Math.Round(DefaultWordsPerMinute * (speed ?? 1.0)), 80, 450);

    public async Task<SynthesizedAudio> SynthesizeAsync(string input, string voice, string format, double? speed, CancellationToken cancellationToken)
    {
        format = (format ?? "").Trim().ToLowerInvariant();
        var (espeakVoice, wpm, contentType) = Validate(input, voice, format, speed);

        // Text on stdin (--stdin reads it all at once): never an argument, so text starting with '-' is just text.
        var wavBytes = await ExternalTool.RunAsync(_options.EspeakPath,
            ["-b", "1", "-v", espeakVoice, "-s", wpm.ToString(CultureInfo.InvariantCulture), "--stdout", "--stdin"],
            Encoding.UTF8.GetBytes(input), _options.ToolTimeout, cancellationToken);

        WavAudio audio;
        try
        {
            audio = WavAudio.Parse(wavBytes);
        }
        catch (FormatException ex)
        {
            throw new ExternalToolException(Path.GetFileName(_options.EspeakPath), $"espeak-ng produced no usable WAV: {ex.Message}");
        }

        var bytes = await EncodeAsync(audio, format, Serial(input, voice), cancellationToken);
        return new SynthesizedAudio(bytes, format, contentType, Math.Round(audio.DurationSeconds, 3));
    }

    /// <summary>Encodes 16-bit mono PCM to <paramref name="format"/>; the encoders read raw samples on stdin and write to stdout.</summary>
    public async Task<byte[]> EncodeAsync(WavAudio audio, string format, int serial, CancellationToken cancellationToken)
    {
        var rate = audio.SampleRate.ToString(CultureInfo.InvariantCulture);
        var kiloRate = (audio.SampleRate / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
        var serialText = serial.ToString(CultureInfo.InvariantCulture);
        var channels = audio.Channels.ToString(CultureInfo.InvariantCulture);
        return format switch
        {
            SpeechFormats.Wav => audio.ToWav(),

            // OpenAI's pcm is 24 kHz 16-bit LE mono without a header; espeak-ng speaks at 22 050 Hz, so resample.
            SpeechFormats.Pcm => audio.ResampleMono(AudioFormats.PcmSampleRate).Samples,

            SpeechFormats.Mp3 => await ExternalTool.RunAsync(_options.LamePath,
                ["--quiet", "-r", "-s", kiloRate, "--bitwidth", "16", "--signed", "--little-endian", "-m", "m", "-b", "64", "-", "-"],
                audio.Samples, _options.ToolTimeout, cancellationToken),

            // Fixed stream serial numbers (from the input) keep the output byte-identical for the same request.
            SpeechFormats.Ogg => await ExternalTool.RunAsync(_options.OggencPath,
                ["-Q", "-r", "-B", "16", "-C", channels, "-R", rate, "--raw-endianness", "0", "-s", serialText, "-o", "-", "-"],
                audio.Samples, _options.ToolTimeout, cancellationToken),

            SpeechFormats.Opus => await ExternalTool.RunAsync(_options.OpusencPath,
                ["--quiet", "--raw", "--raw-bits", "16", "--raw-rate", rate, "--raw-chan", channels, "--raw-endianness", "0", "--serial", serialText, "-", "-"],
                audio.Samples, _options.ToolTimeout, cancellationToken),

            SpeechFormats.Flac => await ExternalTool.RunAsync(_options.FlacPath,
                ["-s", "--force-raw-format", "--endian=little", "--sign=signed", "--channels=" + channels, "--bps=16", "--sample-rate=" + rate, "-c", "-"],
                audio.Samples, _options.ToolTimeout, cancellationToken),

            _ => throw ApiException.BadField("output_format", $"Unsupported output format '{format}'. Supported: {string.Join(", ", AudioFormats.All)}."),
        };
    }

    private static int Serial(string input, string voice) =>
        BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(voice + "\n" + input))) & 0x7FFFFFFF;
}
