using System.ComponentModel.DataAnnotations;
using CCApi.Contracts;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// What every provider adapter is configured with, whether it calls an upstream API (<see cref="UpstreamAdapterOptions"/>)
/// or does the work itself (the local adapter): the provider name its queues and heartbeats carry, how often it
/// announces itself, and how many messages of each kind it processes at once. Each adapter derives a sealed options
/// class with its SectionName; <see cref="AdapterRegistration.AddAdapter{TOptions}"/> binds and validates it at start.
/// </summary>
public abstract class AdapterOptions
{
    /// <summary>Provider name in the catalog: the queues consumed are "{Provider}-chat|image|image-async|speech" and heartbeats carry it.</summary>
    [Required]
    public string Provider { get; set; } = "";

    /// <summary>How often the adapter announces itself to the catalog (which marks it unavailable after 30 s of silence).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:25")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages processed at once (and prefetched) per queue, unless the kind has its own limit below.</summary>
    [Range(1, 1024)]
    public int ConcurrencyLimit { get; set; } = 32;

    /// <summary>Chat messages processed at once; unset = <see cref="ConcurrencyLimit"/>.</summary>
    [Range(1, 1024)]
    public int? ChatConcurrencyLimit { get; set; }

    /// <summary>Image jobs processed at once; unset = <see cref="ConcurrencyLimit"/>.</summary>
    [Range(1, 1024)]
    public int? ImageConcurrencyLimit { get; set; }

    /// <summary>
    /// Async image jobs (the "{provider}-image-async" queue) processed at once, besides the synchronous ones; unset =
    /// the image limit (<see cref="ImageConcurrencyLimit"/>, else <see cref="ConcurrencyLimit"/>).
    /// </summary>
    [Range(1, 1024)]
    public int? AsyncImageConcurrencyLimit { get; set; }

    /// <summary>Speech jobs processed at once; unset = <see cref="ConcurrencyLimit"/>.</summary>
    [Range(1, 1024)]
    public int? SpeechConcurrencyLimit { get; set; }

    /// <summary>The bound on messages of <paramref name="kind"/> in flight per replica (its queue's prefetch too).</summary>
    public int ConcurrencyFor(JobKind kind) => kind switch
    {
        JobKind.Chat => ChatConcurrencyLimit,
        JobKind.Image => ImageConcurrencyLimit,
        JobKind.Speech => SpeechConcurrencyLimit,
        _ => null,
    } ?? ConcurrencyLimit;

    /// <summary>The bound on async image jobs in flight per replica (the "{provider}-image-async" queue's prefetch too).</summary>
    public int AsyncImageConcurrency => AsyncImageConcurrencyLimit ?? ConcurrencyFor(JobKind.Image);
}
