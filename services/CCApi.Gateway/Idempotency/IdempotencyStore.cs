using StackExchange.Redis;

namespace CCApi.Gateway.Idempotency;

/// <summary>What <see cref="IdempotencyStore.BeginAsync"/> found for a key.</summary>
public enum IdempotencyState
{
    /// <summary>Nothing: this request holds the key now (in flight, under a lease) and executes.</summary>
    Acquired,

    /// <summary>Another request with the same key and fingerprint is executing.</summary>
    InFlight,

    /// <summary>The key was used with another fingerprint.</summary>
    Mismatch,

    /// <summary>A saved response: replay it.</summary>
    Done,
}

/// <summary>A saved response: status, the replay-relevant headers and the body (null when it was too large to save).</summary>
public sealed record SavedResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body);

/// <summary>
/// The records of <c>Idempotency-Key</c>s in Redis: one hash per (API key, SHA-256 of the header), hash-tagged with the
/// API key (<see cref="RedisKeys.ApiKeyIdempotency"/>). Each step is one script, so two gateway replicas can never both
/// acquire a key: <c>st</c> (inflight|done), <c>fp</c> (the request's fingerprint), <c>tk</c> (the holder's token, so a
/// holder whose lease ran out cannot overwrite or delete a newer holder's record), then <c>status</c>, <c>h</c>, <c>b</c>
/// and <c>big</c> once done. An in-flight record expires with its lease; a done one after the retention.
/// </summary>
public sealed class IdempotencyStore(IConnectionMultiplexer redis)
{
    // KEYS[1] record; ARGV fingerprint, token, lease ms.
    private const string BeginScript = """
        local r = redis.call('HMGET', KEYS[1], 'st', 'fp', 'status', 'h', 'b', 'big')
        if not r[1] then
          redis.call('HSET', KEYS[1], 'st', 'inflight', 'fp', ARGV[1], 'tk', ARGV[2])
          redis.call('PEXPIRE', KEYS[1], ARGV[3])
          return {'acquired'}
        end
        if r[2] ~= ARGV[1] then return {'mismatch'} end
        if r[1] == 'inflight' then return {'inflight'} end
        return {'done', r[3] or '0', r[4] or '', r[5] or '', r[6] or '0'}
        """;

    // KEYS[1] record; ARGV token, fingerprint, status, headers, body, big, retention ms. Saved unless another holder took over.
    private const string CompleteScript = """
        local t = redis.call('HGET', KEYS[1], 'tk')
        if t and t ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'st', 'done', 'fp', ARGV[2], 'tk', ARGV[1], 'status', ARGV[3], 'h', ARGV[4], 'b', ARGV[5], 'big', ARGV[6])
        redis.call('PEXPIRE', KEYS[1], ARGV[7])
        return 1
        """;

    // KEYS[1] record; ARGV token. Deletes only an in-flight record this holder owns.
    private const string ReleaseScript = """
        if redis.call('HGET', KEYS[1], 'tk') == ARGV[1] and redis.call('HGET', KEYS[1], 'st') == 'inflight' then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    public async Task<(IdempotencyState State, SavedResponse? Saved)> BeginAsync(
        string apiKeyId, string headerHash, string fingerprint, string token, TimeSpan lease)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(BeginScript,
            [RedisKeys.ApiKeyIdempotency(apiKeyId, headerHash)],
            [fingerprint, token, (long)lease.TotalMilliseconds]))!;
        switch ((string?)result[0])
        {
            case "acquired":
                return (IdempotencyState.Acquired, null);
            case "inflight":
                return (IdempotencyState.InFlight, null);
            case "mismatch":
                return (IdempotencyState.Mismatch, null);
            default:
                var big = (string?)result[4] == "1";
                var saved = new SavedResponse((int)result[1], ParseHeaders((string?)result[2]), big ? null : (byte[]?)result[3] ?? []);
                return (IdempotencyState.Done, saved);
        }
    }

    /// <summary>Saves the response for replay; false when another holder took the key over after this one's lease ran out.</summary>
    public async Task<bool> CompleteAsync(string apiKeyId, string headerHash, string fingerprint, string token, SavedResponse response, TimeSpan retention)
    {
        var saved = await redis.GetDatabase().ScriptEvaluateAsync(CompleteScript,
            [RedisKeys.ApiKeyIdempotency(apiKeyId, headerHash)],
            [token, fingerprint, response.Status, FormatHeaders(response.Headers), response.Body ?? [], response.Body is null ? "1" : "0",
                (long)retention.TotalMilliseconds]);
        return (long)saved == 1;
    }

    /// <summary>Forgets an in-flight key whose request did not start executing, so the client can simply retry.</summary>
    public Task ReleaseAsync(string apiKeyId, string headerHash, string token) =>
        redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [RedisKeys.ApiKeyIdempotency(apiKeyId, headerHash)], [token]);

    // Header names and values cannot hold line breaks (Kestrel refuses them), so "name:value" lines are unambiguous.
    private static string FormatHeaders(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        string.Join('\n', headers.Select(h => h.Key + ":" + h.Value));

    private static List<KeyValuePair<string, string>> ParseHeaders(string? text)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(new(line[..colon], line[(colon + 1)..]));
            }
        }

        return headers;
    }
}
