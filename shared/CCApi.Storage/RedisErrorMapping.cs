using CCApi.ServiceDefaults;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>
/// Redis not answering — the connection down or reconnecting, a command timed out (a stalled or overloaded server), or
/// the server saying it cannot serve now (loading its data, a script busy, a read-only replica after a failover, out of
/// memory, persistence failing) — is a 503 <c>service_unavailable</c> the client may retry, on every route of every
/// service: most routes catch it themselves with words of their own; this is the net under the rest
/// (<see cref="CcapiExceptionHandler"/>). Any other Redis error (a wrong type, a script error) is a bug and stays a 500.
/// </summary>
public sealed class RedisErrorMapping : IApiErrorMapping
{
    /// <summary>
    /// The server errors that say "not now" rather than "never", by the first word of the reply (the client's own
    /// classification of them, <c>RedisServerException.Kind</c>, is experimental in the version used here).
    /// </summary>
    private static readonly string[] TransientServerErrors = ["LOADING", "BUSY", "READONLY", "MASTERDOWN", "OOM", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "NOREPLICAS"];

    public ApiException? Map(Exception exception) => IsUnavailable(exception)
        ? new ApiException(503, ErrorTypes.Api, ErrorCodes.ServiceUnavailable, "Storage is unavailable right now; retry shortly.")
        : null;

    /// <summary>Whether <paramref name="exception"/> says Redis cannot serve right now.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => Array.Exists(TransientServerErrors,
            word => server.Message.StartsWith(word, StringComparison.Ordinal)
                && (server.Message.Length == word.Length || server.Message[word.Length] == ' ')),
        _ => false,
    };
}
