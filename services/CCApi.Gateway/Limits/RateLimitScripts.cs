namespace CCApi.Gateway.Limits;

/// <summary>
/// The two Lua scripts of the rate limits. Both touch only keys under the API key's hash tag <c>{key:id}</c>
/// (<c>KEYS[1]</c> = <see cref="CCApi.Storage.RedisKeys.ApiKeyRateState"/>, <c>KEYS[2]</c> =
/// <see cref="CCApi.Storage.RedisKeys.ApiKeyInFlight"/>), so they run on Redis Cluster, and both read the clock of the
/// Redis server (<c>TIME</c>), so replicas with skewed clocks agree.
/// <para>
/// RPM and TPM are GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): each limit stores its
/// "theoretical arrival time" <c>tat</c> in microseconds; a request of cost <c>c</c> moves it to
/// <c>max(tat, now) + c × (60 s / limit)</c> and is admitted when the result is at most 60 s ahead of now. A fresh key
/// can therefore burst its whole per-minute limit at once and then gets it back continuously (one request every
/// 60/rpm s), which is how OpenAI describes its limits; remaining = what fits in the 60 s ahead, reset = tat − now
/// (the time until the bucket is full again). The emission interval is rounded down to whole microseconds, so N
/// requests in a burst are exactly N and never N−1. Beside each <c>tat</c> the limit it was computed for is kept
/// (<c>rql</c>, <c>tkl</c>): when an operator changes the limit, what was used in the last minute is carried over, not the
/// old limit's clock — raising rpm 5 → 1000 after 5 requests leaves 995, where the old state, 60 s ahead at one request
/// every 12 s, read as 1000 used (<see cref="TatFunction"/>).
/// </para>
/// <para>
/// Concurrency is a sorted set of lease ids scored by their expiry: admission drops expired leases, counts the rest
/// and adds its own; the request's end removes it (ZREM: a second removal is a no-op). A gateway killed mid-request
/// cannot leak a slot beyond the lease lifetime. All three limits are checked before any is charged: a refused
/// request costs nothing.
/// </para>
/// </summary>
public static class RateLimitScripts
{
    /// <summary>
    /// ARGV: rpm, tpm, concurrency (0 = none), token cost, lease id, lease lifetime (ms), and — for a key with credits —
    /// the reservation: nano-dollars (-1 = none), job id, expiry (unix ms), with <c>KEYS[3]</c> = the key's record and
    /// <c>KEYS[4]</c> = its reservations (<see cref="CCApi.Storage.RedisKeys.ApiKeyReservations"/>). The reservation is
    /// refused ("credits") when credits − reserved &lt; the amount; limits are checked first, and nothing is charged or
    /// reserved unless everything passes.
    /// Returns {admitted (1|0), refused ("" | "requests" | "tokens" | "concurrency" | "credits"), retry after (µs),
    /// remaining requests, requests reset (µs), remaining tokens, tokens reset (µs), credits (nano-dollars), reserved}.
    /// </summary>
    public const string Admit = "if redis.replicate_commands then redis.replicate_commands() end\n" + TatFunction + """
        local P = 60000000
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local cost = tonumber(ARGV[4])
        local refused, wait = '', 0
        local rq, rqem, tk, tkem = now, 1, now, 1
        if rpm > 0 then
          rqem = math.max(1, math.floor(P / rpm))
          rq = tat_of(KEYS[1], 'rq', rpm, now)
          local after = rq + rqem
          if after - now > P then refused = 'requests'; wait = after - now - P else rq = after end
        end
        if tpm > 0 then
          tkem = math.max(1, math.floor(P / tpm))
          if cost > tpm then cost = tpm end
          tk = tat_of(KEYS[1], 'tk', tpm, now)
          local after = tk + cost * tkem
          if after - now > P then
            if after - now - P > wait then refused = 'tokens'; wait = after - now - P end
          else
            tk = after
          end
        end
        if refused == '' and conc > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
          if redis.call('ZCARD', KEYS[2]) >= conc then refused = 'concurrency'; wait = 1000000 end
        end
        local hold, balance, reserved = tonumber(ARGV[7] or '-1'), 0, 0
        if refused == '' and hold >= 0 then
          local b = redis.call('HGET', KEYS[3], 'credits_nusd')
          if b then
            balance = tonumber(b)
            reserved = tonumber(redis.call('HGET', KEYS[3], 'reserved_nusd') or '0')
            if balance - reserved < hold then refused = 'credits' end
          else
            hold = -1 -- unlimited: nothing to reserve
          end
        end
        if refused == '' then
          if hold >= 0 then
            redis.call('HINCRBY', KEYS[3], 'reserved_nusd', ARGV[7])
            redis.call('HSET', KEYS[4], ARGV[8], ARGV[7] .. ':' .. ARGV[9])
            reserved = reserved + hold
          end
          local ttl = 0
          if rpm > 0 then redis.call('HSET', KEYS[1], 'rq', string.format('%.0f', rq), 'rql', rpm); ttl = rq - now end
          if tpm > 0 then redis.call('HSET', KEYS[1], 'tk', string.format('%.0f', tk), 'tkl', tpm); ttl = math.max(ttl, tk - now) end
          if ttl > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000) end
          if conc > 0 then
            local life = tonumber(ARGV[6])
            redis.call('ZADD', KEYS[2], string.format('%.0f', now + life * 1000), ARGV[5])
            redis.call('PEXPIRE', KEYS[2], life + 1000)
          end
        else
          -- refused: report the state as it stays (a limit that passed was not charged)
          if rpm > 0 then rq = tat_of(KEYS[1], 'rq', rpm, now) end
          if tpm > 0 then tk = tat_of(KEYS[1], 'tk', tpm, now) end
        end
        local rqleft, tkleft = 0, 0
        if rpm > 0 then rqleft = math.floor((P - (rq - now)) / rqem) end
        if tpm > 0 then tkleft = math.floor((P - (tk - now)) / tkem) end
        return {refused == '' and 1 or 0, refused, math.ceil(wait), math.max(0, rqleft), math.floor(rq - now), math.max(0, tkleft), math.floor(tk - now),
          string.format('%.0f', balance), string.format('%.0f', reserved)}
        """;

    /// <summary>
    /// A Lua function: <c>tat_of(rate, field, limit, now)</c> is a GCRA limit's theoretical arrival time (never before
    /// now) for <c>limit</c>. Stored for another limit (<c>field .. 'l'</c>: the operator changed it), its
    /// backlog — requests or tokens used in the last minute × the old interval — is rescaled to the new interval, so the
    /// usage carries over; state from before the limit was stored is taken as it is.
    /// </summary>
    public const string TatFunction = """
        local function tat_of(rate, field, limit, now)
          local v = redis.call('HMGET', rate, field, field .. 'l')
          if not v[1] then return now end
          local tat = math.max(tonumber(v[1]), now)
          local was = tonumber(v[2] or '0')
          if was > 0 and was ~= limit then tat = now + math.floor((tat - now) * was / limit) end
          return tat
        end

        """;

    /// <summary>
    /// A Lua function (not a script): <c>release_lease(rate, inflight, lease id, tpm, correction)</c> frees the request's
    /// concurrency slot (ZREM: a second removal is a no-op) and moves the TPM bucket by the correction (actual − charged
    /// tokens; never below "full"). Shared by <see cref="Release"/> and <see cref="Credits.CreditScripts.Settle"/>, which
    /// folds the release into the settlement so a finished request costs one script call, not two.
    /// </summary>
    public const string ReleaseLeaseFunction = TatFunction + """
        local function release_lease(rate, inflight, lease, tpm, delta)
          if lease ~= '' then redis.call('ZREM', inflight, lease) end
          if tpm > 0 and delta ~= 0 then
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local em = math.max(1, math.floor(60000000 / tpm))
            local tk = tat_of(rate, 'tk', tpm, now)
            if delta > 0 then tk = tk + delta * em else tk = math.max(tk + delta * em, now) end
            redis.call('HSET', rate, 'tk', string.format('%.0f', tk), 'tkl', tpm)
            local ttl = math.max(tk - now, tonumber(redis.call('HGET', rate, 'rq') or now) - now)
            redis.call('PEXPIRE', rate, math.ceil(ttl / 1000) + 1000)
          end
        end

        """;

    /// <summary>
    /// ARGV: lease id ("" = none), tpm (0 = none), token correction (actual − charged; may be negative).
    /// Frees the request's concurrency slot and moves the TPM bucket by the correction (never below "full").
    /// </summary>
    public const string Release = "if redis.replicate_commands then redis.replicate_commands() end\n" + ReleaseLeaseFunction + """
        release_lease(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
        return 1
        """;

    /// <summary>
    /// ARGV: rpm, tpm, concurrency (0 = none). Reads without charging: {remaining requests, requests reset (µs),
    /// remaining tokens, tokens reset (µs), leases in flight (unexpired)}.
    /// </summary>
    public const string Peek = TatFunction + """
        local P = 60000000
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local function left(field, limit)
          if limit <= 0 then return 0, 0 end
          local em = math.max(1, math.floor(P / limit))
          local tat = tat_of(KEYS[1], field, limit, now)
          return math.max(0, math.floor((P - (tat - now)) / em)), math.floor(tat - now)
        end
        local rqleft, rqreset = left('rq', rpm)
        local tkleft, tkreset = left('tk', tpm)
        local inflight = 0
        if conc > 0 then inflight = redis.call('ZCOUNT', KEYS[2], '(' .. string.format('%.0f', now), '+inf') end
        return {rqleft, rqreset, tkleft, tkreset, inflight}
        """;
}
