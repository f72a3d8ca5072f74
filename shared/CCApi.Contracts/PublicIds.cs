namespace CCApi.Contracts;

/// <summary>
/// The job ids clients see: a prefix per kind and the job id's 32 hex digits — <c>chatcmpl-…</c> (OpenAI's),
/// <c>img_…</c> (spec 2.5), <c>speech_…</c>. Every place that writes one (responses, stream chunks, webhooks, the
/// ledger) or reads one back (job routes, stream resumption, list cursors) goes through here, so they cannot drift apart.
/// </summary>
public static class PublicIds
{
    public const string ChatPrefix = "chatcmpl-";
    public const string ImagePrefix = "img_";
    public const string SpeechPrefix = "speech_";

    public static string Chat(Guid jobId) => ChatPrefix + jobId.ToString("N");

    public static string Image(Guid jobId) => ImagePrefix + jobId.ToString("N");

    public static string Speech(Guid jobId) => SpeechPrefix + jobId.ToString("N");

    /// <summary>The public id of a job known by its kind and its id's 32 hex digits (as stored: job records, ledger entries).</summary>
    public static string Of(JobKind kind, string jobIdN) => PrefixOf(kind) + jobIdN;

    public static string PrefixOf(JobKind kind) => kind switch
    {
        JobKind.Chat => ChatPrefix,
        JobKind.Image => ImagePrefix,
        JobKind.Speech => SpeechPrefix,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// <paramref name="prefix"/> + 32 hex digits → the job id. With <paramref name="bare"/>, the 32 hex digits alone are
    /// accepted too (the <c>x-ccapi-job-id</c> header's form). Anything else is no id.
    /// </summary>
    public static bool TryParse(string? id, string prefix, out Guid jobId, bool bare = false)
    {
        jobId = default;
        if (id is null)
        {
            return false;
        }

        var hex = id.StartsWith(prefix, StringComparison.Ordinal) ? id.AsSpan(prefix.Length)
            : bare ? id.AsSpan()
            : [];
        return hex.Length == 32 && Guid.TryParseExact(hex, "N", out jobId);
    }
}
