using System.Buffers.Text;
using System.Text.Json;
using CCApi.Contracts;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>
/// How a synchronous call's answer travels adapter → gateway: on Redis pub/sub, on the channel of the gateway process
/// that waits for it, not back through the broker. The adapter already writes the outcome to Redis (its result cache, for
/// a redelivery) on the same connection, so the answer costs one more command in that round trip instead of a broker
/// message — its serialization, the broker's work, its delivery — per call. The gateway names its channel in the
/// command's <see cref="ChannelHeader"/>; a command without it (an older gateway, a test's request client) is answered on
/// the bus as before, and a consumer fault always is (MassTransit sends it to the request's response address).
/// The message: the request id (32 hex digits), a space, <c>s</c> (the success event) or <c>f</c> (<see cref="JobFailed"/>),
/// then the outcome's JSON — the same serialization as the adapters' result cache. A streaming chat's notifications come on
/// the same channel (<see cref="StreamNoticePrefix"/>).
/// </summary>
public static class SynchronousReplies
{
    /// <summary>The command header naming the channel to answer on (a MassTransit header, set by the gateway).</summary>
    public const string ChannelHeader = "CCApi-Reply-Channel";

    /// <summary>The adapter's span around the PUBLISH, and the gateway's when the answer reaches its caller.</summary>
    public const string PublishSpanName = "synchronous reply publish";

    /// <inheritdoc cref="PublishSpanName"/>
    public const string ReceiveSpanName = "synchronous reply receive";

    private const int IdLength = 32;

    private static readonly string Prefix = RedisKeys.SynchronousReplies(Guid.Empty)[..^IdLength];

    public static RedisChannel Channel(string name) => new(name, RedisChannel.PatternMode.Literal);

    /// <summary>A channel name is the platform's own (<see cref="RedisKeys.SynchronousReplies"/>); anything else in the header is ignored.</summary>
    public static bool IsChannelName(string? name) =>
        name is not null && name.Length == Prefix.Length + IdLength && name.StartsWith(Prefix, StringComparison.Ordinal)
        && Guid.TryParseExact(name.AsSpan(Prefix.Length), "N", out _);

    /// <summary>
    /// An outcome's JSON as its runtime type serializes: what the answer carries and what the adapters' result cache keeps
    /// (<c>JobResultCache</c>), so an adapter serializes each outcome once for both.
    /// </summary>
    public static byte[] Serialize(object outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return JsonSerializer.SerializeToUtf8Bytes(outcome, outcome.GetType());
    }

    /// <summary>The message answering <paramref name="requestId"/> with <paramref name="outcome"/>: a success event, or a <c>JobFailed</c>.</summary>
    public static RedisValue Format(Guid requestId, object outcome) => Format(requestId, outcome, Serialize(outcome));

    /// <summary>
    /// <see cref="Format(Guid, object)"/> with the outcome's JSON already made (<see cref="Serialize"/>); <paramref name="outcome"/>
    /// only says whether it is a failure.
    /// </summary>
    public static RedisValue Format(Guid requestId, object outcome, ReadOnlySpan<byte> json)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var message = new byte[IdLength + 2 + json.Length];
        requestId.TryFormat(message.AsSpan(0, IdLength), out _, "N");
        message[IdLength] = (byte)' ';
        message[IdLength + 1] = outcome is JobFailed ? (byte)'f' : (byte)'s';
        json.CopyTo(message.AsSpan(IdLength + 2));
        return message;
    }

    /// <summary>
    /// The prefix of a streaming chat's notification on this channel: the job id (32 hex digits), a space, <c>n</c>; then
    /// the notification as <see cref="ChatStreams"/> publishes it on the job's own channel. The gateway process that sent the
    /// command hands it to the stream's reader (<see cref="ChatStreams.ReadNewAsync"/>).
    /// </summary>
    public static string StreamNoticePrefix(Guid jobId) => jobId.ToString("N") + " n";

    /// <summary>Reads a message of <see cref="StreamNoticePrefix"/>: the job and its notification; false for anything else.</summary>
    public static bool TryParseStreamNotice(RedisValue message, out Guid jobId, out RedisValue notice)
    {
        var ok = TryParseHead(message, out jobId, out var kind, out var body) && kind == (byte)'n';
        notice = ok ? body : RedisValue.Null;
        return ok;
    }

    /// <summary>Reads a message of <see cref="Format"/>; false for anything else.</summary>
    public static bool TryParse(RedisValue message, out Guid requestId, out bool failed, out ReadOnlyMemory<byte> json)
    {
        var ok = TryParseHead(message, out requestId, out var kind, out json) && kind is (byte)'s' or (byte)'f' && json.Length > 0;
        failed = ok && kind == (byte)'f';
        json = ok ? json : default;
        return ok;
    }

    /// <summary>What every message on the channel starts with: an id (32 hex digits), a space, a kind byte; then its body.</summary>
    private static bool TryParseHead(RedisValue message, out Guid id, out byte kind, out ReadOnlyMemory<byte> body)
    {
        id = default;
        kind = 0;
        body = default;
        ReadOnlyMemory<byte> bytes = (byte[]?)message ?? [];
        var span = bytes.Span;
        if (span.Length < IdLength + 2 || span[IdLength] != (byte)' '
            || !Utf8Parser.TryParse(span[..IdLength], out id, out var read, 'N') || read != IdLength)
        {
            id = default;
            return false;
        }

        kind = span[IdLength + 1];
        body = bytes[(IdLength + 2)..];
        return true;
    }
}
