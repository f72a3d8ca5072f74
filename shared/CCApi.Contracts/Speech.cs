namespace CCApi.Contracts;

/// <summary>Command: synthesize speech. Sent as a request to the "{provider}-speech" queue.</summary>
public sealed record Speech : IJobCommand
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }
    public required string Input { get; init; }
    public required string Voice { get; init; }

    /// <summary>"mp3", "wav", "ogg", "opus", "flac", "aac" or "pcm".</summary>
    public required string Format { get; init; }

    public double? Speed { get; init; }
    public string? Instructions { get; init; }
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>
    /// Set when the caller plays the audio as it comes (the audio bytes or <c>stream_format: "sse"</c>): an adapter whose
    /// provider delivers audio progressively relays each piece as it arrives, in order, on the job's audio channel
    /// (<c>SpeechChunks</c> in CCApi.Storage) while the caller waits for the result. Best effort: the result's blob is the
    /// whole audio, and the caller takes from it whatever the pieces did not bring. An adapter that cannot relay ignores it.
    /// </summary>
    public bool StreamAudio { get; init; }
}

/// <summary>Event: speech was synthesized. Also the response to the request.</summary>
public sealed record SpeechSynthesized : IJobResult
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }
    public required BlobRef Audio { get; init; }
    public required string Format { get; init; }
    public double DurationSeconds { get; init; }
    public required Usage Usage { get; init; }

    /// <inheritdoc cref="IJobResult.ProviderDuration"/>
    public TimeSpan? ProviderDuration { get; init; }
}
