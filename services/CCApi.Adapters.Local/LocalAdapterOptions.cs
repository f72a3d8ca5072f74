using System.ComponentModel.DataAnnotations;

namespace CCApi.Adapters.Local;

/// <summary>Configuration of the local adapter (section "LocalAdapter"), validated at start.</summary>
public sealed class LocalAdapterOptions
{
    public const string SectionName = "LocalAdapter";

    /// <summary>Provider name: the queues consumed are "{Provider}-chat|image|speech" and heartbeats carry it.</summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$", ErrorMessage = "LocalAdapter:Provider must be lower-case letters, digits and '-'.")]
    public string Provider { get; set; } = "local";

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

    /// <summary>How often the adapter announces itself to the catalog (which marks it unavailable after 30 s of silence).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:00:25")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Chat messages processed at once (cheap, CPU-light).</summary>
    [Range(1, 1024)]
    public int ChatConcurrencyLimit { get; set; } = 64;

    /// <summary>
    /// Image jobs processed at once. Rendering is CPU-bound and a 2048² frame needs ~12 MB while it is drawn, so keep this
    /// near the core count; async jobs spend most of their time in <see cref="AsyncStepDelay"/> pauses.
    /// </summary>
    [Range(1, 256)]
    public int ImageConcurrencyLimit { get; set; } = 4;

    /// <summary>Speech jobs processed at once (each runs espeak-ng and maybe an encoder).</summary>
    [Range(1, 256)]
    public int SpeechConcurrencyLimit { get; set; } = 4;
}
