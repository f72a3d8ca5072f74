using System.ComponentModel.DataAnnotations;
using CCApi.Adapters.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local;

/// <summary>
/// Configuration of the local adapter (section "LocalAdapter"), validated at start. What every adapter has (provider
/// name, heartbeat, concurrency per kind) comes from <see cref="AdapterOptions"/>; the rest says where its tools are.
/// </summary>
public sealed class LocalAdapterOptions : AdapterOptions
{
    public const string SectionName = "LocalAdapter";

    public LocalAdapterOptions()
    {
        Provider = "local";
        ChatConcurrencyLimit = 64; // cheap, CPU-light
        // Rendering is CPU-bound and a 2048² frame needs ~12 MB while it is drawn, so keep this near the core count;
        // async jobs spend most of their time in AsyncStepDelay pauses.
        ImageConcurrencyLimit = 4;
        SpeechConcurrencyLimit = 4; // each runs espeak-ng and maybe an encoder
    }

    /// <summary>espeak-ng executable (a name looked up on PATH, or a path).</summary>
    [Required]
    public string EspeakPath { get; set; } = "espeak-ng";

    /// <summary>LAME, for mp3.</summary>
    [Required]
    public string LamePath { get; set; } = "lame";

    /// <summary>oggenc (vorbis-tools), for ogg.</summary>
    [Required]
    public string OggencPath { get; set; } = "oggenc";

    /// <summary>opusenc (opus-tools), for opus.</summary>
    [Required]
    public string OpusencPath { get; set; } = "opusenc";

    /// <summary>flac, for flac.</summary>
    [Required]
    public string FlacPath { get; set; } = "flac";

    /// <summary>Longest any one external program (synthesis or encoding) may run.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ToolTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between the progress steps of an async image job, so pollers can see pending → processing → completed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan AsyncStepDelay { get; set; } = TimeSpan.FromMilliseconds(400);
}

/// <summary>Checks <see cref="LocalAdapterOptions"/>'s attributes (its base classes' too) at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class LocalAdapterOptionsValidator : IValidateOptions<LocalAdapterOptions>;
