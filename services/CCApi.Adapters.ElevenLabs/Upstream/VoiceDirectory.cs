using System.Text.Json;
using System.Text.RegularExpressions;
using CCApi.Adapters.Hosting;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ElevenLabs.Upstream;

/// <summary>A voice of the platform's ElevenLabs account, as GET /v1/voices lists it.</summary>
public sealed record ElevenLabsVoice(string Id, string Name, string? Category = null);

/// <summary>
/// Turns the CCAPI <c>voice</c> — an ElevenLabs voice id or a voice name such as "Rachel" — into the voice id the
/// text-to-speech path wants. Names are looked up (case-insensitively) in the account's voice list, GET
/// /v1/voices?show_legacy=true (legacy premade voices such as Rachel are only listed with show_legacy), which is cached
/// for <see cref="ElevenLabsAdapterOptions.VoiceCacheDuration"/> and listed again when a name is not in it (at most once
/// per <see cref="ElevenLabsAdapterOptions.VoiceRefreshMinInterval"/>). Something shaped like a voice id that the list
/// does not know is passed through as an id without listing: ElevenLabs itself says whether it exists.
/// </summary>
public sealed partial class VoiceDirectory(
    IHttpClientFactory httpClientFactory,
    UpstreamPipeline pipeline,
    IOptions<ElevenLabsAdapterOptions> options,
    TimeProvider time,
    ILogger<VoiceDirectory> logger) : IDisposable
{
    /// <summary>Voices named in the "unknown voice" error, so the client sees what would work.</summary>
    public const int NamesInError = 12;

    private readonly SemaphoreSlim _listing = new(1, 1);
    private volatile Snapshot? _snapshot;

    private ElevenLabsAdapterOptions Options => options.Value;

    public void Dispose() => _listing.Dispose();

    /// <summary>The voice id for <paramref name="voice"/>; a 400 naming <c>voice</c> when it is neither an id nor a known name.</summary>
    public async Task<string> ResolveAsync(string voice, CancellationToken cancellationToken)
    {
        var wanted = voice.Trim();
        if (wanted.Length == 0)
        {
            throw ApiException.BadField("voice", "'voice' must be an ElevenLabs voice id or voice name; got an empty string.");
        }

        var seen = _snapshot;
        if (seen is not null && IsFresh(seen) && Find(seen.Voices, wanted) is { } cached)
        {
            return cached.Id;
        }

        if (LooksLikeVoiceId(wanted))
        {
            return wanted;
        }

        var current = await RefreshAsync(seen, cancellationToken);
        if (Find(current.Voices, wanted) is { } listed)
        {
            return listed.Id;
        }

        LogUnknownVoice(logger, current.Voices.Count);
        throw ApiException.BadField("voice", UnknownVoiceMessage(wanted, current.Voices));
    }

    /// <summary>
    /// The voice for <paramref name="wanted"/>: an exact id, else a name (case-insensitive), else the part of a name
    /// before " - " or " (" ("Sarah" for "Sarah - Mature, Reassuring"). The first in list order wins.
    /// </summary>
    public static ElevenLabsVoice? Find(IReadOnlyList<ElevenLabsVoice> voices, string wanted) =>
        voices.FirstOrDefault(v => string.Equals(v.Id, wanted, StringComparison.Ordinal))
        ?? voices.FirstOrDefault(v => string.Equals(v.Name.Trim(), wanted, StringComparison.OrdinalIgnoreCase))
        ?? voices.FirstOrDefault(v => string.Equals(ShortName(v.Name), wanted, StringComparison.OrdinalIgnoreCase));

    /// <summary>ElevenLabs voice ids are 20 letters and digits (e.g. 21m00Tcm4TlvDq8ikWAM).</summary>
    public static bool LooksLikeVoiceId(string voice) => VoiceIdPattern().IsMatch(voice);

    public static string UnknownVoiceMessage(string wanted, IReadOnlyList<ElevenLabsVoice> voices)
    {
        var shown = wanted.Length > 64 ? wanted[..64] + "…" : wanted;
        var names = voices.Select(v => ShortName(v.Name)).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
        var listed = names.Count == 0
            ? "The platform's ElevenLabs account lists no voices."
            : $"Available voices include: {string.Join(", ", names.Take(NamesInError))}{(names.Count > NamesInError ? $" (and {names.Count - NamesInError} more)" : "")}.";
        return $"'voice' '{shown}' is neither an ElevenLabs voice id nor the name of a voice available to the platform's ElevenLabs account. {listed}";
    }

    /// <summary>Reads a GET /v1/voices body: {"voices":[{"voice_id","name","category",…}]}.</summary>
    public static IReadOnlyList<ElevenLabsVoice> ReadVoices(ReadOnlySpan<byte> body, string provider)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("voices", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "the voice list has no 'voices' array"));
            }

            var voices = new List<ElevenLabsVoice>(list.GetArrayLength());
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object
                    && item.TryGetProperty("voice_id", out var id) && id.ValueKind == JsonValueKind.String
                    && item.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                {
                    var category = item.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    voices.Add(new ElevenLabsVoice(id.GetString()!, name.GetString()!, category));
                }
            }

            return voices;
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(provider, "the voice list is not valid JSON"), ex);
        }
    }

    private bool IsFresh(Snapshot snapshot) => time.GetUtcNow() - snapshot.LoadedAt < Options.VoiceCacheDuration;

    /// <summary>
    /// The voice list, listed again unless another caller did since <paramref name="seen"/> or the last listing is
    /// younger than the minimum interval (then the cached list answers).
    /// </summary>
    private async Task<Snapshot> RefreshAsync(Snapshot? seen, CancellationToken cancellationToken)
    {
        await _listing.WaitAsync(cancellationToken);
        try
        {
            var current = _snapshot;
            if (current is not null && !ReferenceEquals(current, seen))
            {
                return current; // listed while we waited
            }

            if (current is not null && IsFresh(current) && time.GetUtcNow() - current.LoadedAt < Options.VoiceRefreshMinInterval)
            {
                return current;
            }

            var voices = await ListAsync(cancellationToken);
            LogListed(logger, voices.Count);
            return _snapshot = new Snapshot(voices, time.GetUtcNow());
        }
        finally
        {
            _listing.Release();
        }
    }

    private async Task<IReadOnlyList<ElevenLabsVoice>> ListAsync(CancellationToken cancellationToken)
    {
        var provider = Options.Provider;
        using var response = await pipeline.SendAsync(
            httpClientFactory.CreateClient(ElevenLabsClient.HttpClientName),
            () => new HttpRequestMessage(HttpMethod.Get, "v1/voices?show_legacy=true"),
            streaming: false,
            cancellationToken,
            ElevenLabsErrors.Parse);
        byte[] body;
        try
        {
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrors.DroppedMidStream(provider), ex);
        }

        return ReadVoices(body, provider);
    }

    private static string ShortName(string name)
    {
        var cut = name.IndexOfAny(['-', '(']);
        return (cut > 0 && name[cut - 1] == ' ' ? name[..cut] : name).Trim();
    }

    private sealed record Snapshot(IReadOnlyList<ElevenLabsVoice> Voices, DateTimeOffset LoadedAt);

    [GeneratedRegex("^[A-Za-z0-9]{20}$")]
    private static partial Regex VoiceIdPattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Listed {Count} ElevenLabs voices for name lookups")]
    private static partial void LogListed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "A voice that is neither an id nor one of the {Count} listed names was asked for; answered 400")]
    private static partial void LogUnknownVoice(ILogger logger, int count);
}
