namespace CCApi.Gateway.Limits;

/// <summary>
/// The Lua scripts of the rate limits. All touch only keys under the API key's hash tag <c>{key:id}</c>
/// (<c>KEYS[1]</c> = <see cref="CCApi.Storage.RedisKeys.ApiKeyRateState"/>, <c>KEYS[2]</c> =
/// <see cref="CCApi.Storage.RedisKeys.ApiKeyInFlight"/>, …), so they run on Redis Cluster, and all read the clock of the
/// Redis server (<c>TIME</c>), so replicas with skewed clocks agree.
/// <para>
/// RPM and TPM are leaky buckets (GCRA's equivalent, kept as a level rather than a timestamp): each limit stores how
/// much was used (<c>rq_used</c>, <c>tk_used</c>: requests or tokens, a fraction once it drains), when
/// (<c>…_at</c>, microseconds of the Redis clock) and for which limit (<c>…_limit</c>). It drains at the limit per
/// minute; a request of cost <c>c</c> is admitted when used + c ≤ limit. A fresh key can therefore burst its whole
/// per-minute limit at once and then gets it back continuously (one request every 60/rpm s), which is how OpenAI
/// describes its limits; remaining = limit − used, reset = used × 60 s / limit (the time until the bucket is empty
/// again). Counting in requests and tokens — not in microseconds per request — keeps a burst of N exactly N at any limit
/// (a whole-microsecond emission interval let 45 M tpm through as 60 M and capped every limit above 60 M a minute at
/// 60 M). The bucket drains at the limit it was filled under until now: when an operator changes the limit, what was
/// used in the last minute carries over — raising rpm 5 → 1000 after 5 requests leaves 995 (<see cref="LevelFunction"/>).
/// </para>
/// <para>
/// Concurrency is a sorted set of lease ids scored by their expiry: admission drops expired leases, counts the rest
/// and adds its own; the request's end removes it (ZREM: a second removal is a no-op). A gateway killed mid-request
/// cannot leak a slot beyond the lease lifetime. All limits are checked before any is charged: a refused
/// request costs nothing.
/// </para>
/// <para>
/// Asynchronous jobs (<c>async_jobs</c>) are counted the same way in a sorted set of their own
/// (<see cref="CCApi.Storage.RedisKeys.ApiKeyAsyncJobs"/>), by job id, scored by when the slot lapses
/// (<see cref="Credits.CreditOptions.AsyncJobHold"/>, as the job's credit reservation): added at admission, removed by the
/// job's settlement (<see cref="Credits.CreditScripts.Settle"/>: completion, failure, cancellation, or the request's end
/// when no 202 was sent). A job whose terminal event is lost frees its slot when it lapses.
/// </para>
/// </summary>
public static class RateLimitScripts
{
    /// <summary>
    /// ARGV: rpm, tpm, concurrency (0 = none), token cost, lease id, lease lifetime (ms), and — for a key with credits or
    /// an asynchronous job under an <c>async_jobs</c> limit — the reservation: nano-dollars (-1 = none), job id, expiry
    /// (unix ms), with <c>KEYS[3]</c> = the key's record and <c>KEYS[4]</c> = its reservations
    /// (<see cref="CCApi.Storage.RedisKeys.ApiKeyReservations"/>); then the async jobs limit (0 = none) and the slot's
    /// lifetime (ms), with <c>KEYS[5]</c> = the key's async jobs (<see cref="CCApi.Storage.RedisKeys.ApiKeyAsyncJobs"/>).
    /// The reservation is refused ("credits") when credits − reserved &lt; the amount; limits are checked first, and
    /// nothing is charged or reserved unless everything passes.
    /// Returns {admitted (1|0), refused ("" | "requests" | "tokens" | "concurrency" | "async_jobs" | "credits"), retry
    /// after (µs), remaining requests, requests reset (µs), remaining tokens, tokens reset (µs), credits (nano-dollars),
    /// reserved}.
    /// </summary>
    public const string Admit = "if redis.replicate_commands then redis.replicate_commands() end\n" + LevelFunction + """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local cost = tonumber(ARGV[4])
        local refused, wait = '', 0
        local rq, tk = 0, 0
        if rpm > 0 then
          rq = level_of(KEYS[1], 'rq', rpm, now)
          if rq + 1 > rpm then refused = 'requests'; wait = (rq + 1 - rpm) * MINUTE_US / rpm else rq = rq + 1 end
        end
        if tpm > 0 then
          if cost > tpm then cost = tpm end
          tk = level_of(KEYS[1], 'tk', tpm, now)
          if tk + cost > tpm then
            local w = (tk + cost - tpm) * MINUTE_US / tpm
            if w > wait then refused = 'tokens'; wait = w end
          else
            tk = tk + cost
          end
        end
        if refused == '' and conc > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
          if redis.call('ZCARD', KEYS[2]) >= conc then refused = 'concurrency'; wait = 1000000 end
        end
        local ajobs = tonumber(ARGV[10] or '0')
        if refused == '' and ajobs > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', string.format('%.0f', now))
          if redis.call('ZCARD', KEYS[5]) >= ajobs then refused = 'async_jobs'; wait = 1000000 end
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
          if rpm > 0 then ttl = set_level(KEYS[1], 'rq', rq, rpm, now) end
          if tpm > 0 then ttl = math.max(ttl, set_level(KEYS[1], 'tk', tk, tpm, now)) end
          if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
          if conc > 0 then
            local life = tonumber(ARGV[6])
            redis.call('ZADD', KEYS[2], string.format('%.0f', now + life * 1000), ARGV[5])
            redis.call('PEXPIRE', KEYS[2], life + 1000)
          end
          if ajobs > 0 then
            local life = tonumber(ARGV[11])
            redis.call('ZADD', KEYS[5], string.format('%.0f', now + life * 1000), ARGV[8])
            if redis.call('PTTL', KEYS[5]) < life + 1000 then redis.call('PEXPIRE', KEYS[5], life + 1000) end
          end
        else
          -- refused: report the state as it stays (a limit that passed was not charged)
          if rpm > 0 then rq = level_of(KEYS[1], 'rq', rpm, now) end
          if tpm > 0 then tk = level_of(KEYS[1], 'tk', tpm, now) end
        end
        local rqleft, rqreset, tkleft, tkreset = 0, 0, 0, 0
        if rpm > 0 then rqleft = math.floor(rpm - rq); rqreset = math.floor(rq * MINUTE_US / rpm) end
        if tpm > 0 then tkleft = math.floor(tpm - tk); tkreset = math.floor(tk * MINUTE_US / tpm) end
        return {refused == '' and 1 or 0, refused, math.ceil(wait), math.max(0, rqleft), rqreset, math.max(0, tkleft), tkreset,
          string.format('%.0f', balance), string.format('%.0f', reserved)}
        """;

    /// <summary>
    /// Lua functions: <c>level_of(rate, field, limit, now)</c> is what a limit's bucket holds now — what was stored under
    /// <c>field_used</c>, drained since <c>field_at</c> at the limit it was stored for (<c>field_limit</c>; the
    /// current one when absent), never below 0; <c>set_level(rate, field, used, limit, now)</c> stores it and answers the
    /// milliseconds the hash must live for it (until the bucket is empty, and a second more): the caller sets the TTL —
    /// admission for both limits at once, a release only ever longer (it knows one limit). Fields of the older timestamp
    /// form (<c>rq</c>, <c>tk</c>) are ignored and expire within a minute.
    /// </summary>
    public const string LevelFunction = """
        local MINUTE_US = 60000000
        local function level_of(rate, field, limit, now)
          local v = redis.call('HMGET', rate, field .. '_used', field .. '_at', field .. '_limit')
          if not v[1] or not v[2] then return 0 end
          local used = tonumber(v[1])
          local elapsed = now - tonumber(v[2])
          if elapsed <= 0 then return used end
          local was = tonumber(v[3] or limit)
          used = used - elapsed * was / MINUTE_US
          if used < 0 then return 0 end
          return used
        end
        local function set_level(rate, field, used, limit, now)
          redis.call('HSET', rate, field .. '_used', string.format('%.17g', used), field .. '_at', string.format('%.0f', now),
            field .. '_limit', limit)
          return math.ceil(used * MINUTE_US / limit / 1000) + 1000 -- ms until it is empty, and a second more
        end

        """;

    /// <summary>
    /// A Lua function (not a script): <c>release_lease(rate, inflight, lease id, tpm, correction)</c> frees the request's
    /// concurrency slot (ZREM: a second removal is a no-op) and moves the TPM bucket by the correction (actual − charged
    /// tokens; never below "full"). Shared by <see cref="Release"/> and <see cref="Credits.CreditScripts.Settle"/>, which
    /// folds the release into the settlement so a finished request costs one script call, not two.
    /// </summary>
    public const string ReleaseLeaseFunction = LevelFunction + """
        local function release_lease(rate, inflight, lease, tpm, delta)
          if lease ~= '' then redis.call('ZREM', inflight, lease) end
          if tpm > 0 and delta ~= 0 then
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local tk = level_of(rate, 'tk', tpm, now) + delta
            if tk < 0 then tk = 0 end
            local ttl = set_level(rate, 'tk', tk, tpm, now)
            if ttl > redis.call('PTTL', rate) then redis.call('PEXPIRE', rate, ttl) end -- the requests' bucket may need longer
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
    /// KEYS: rate state, in-flight leases, async jobs. ARGV: rpm, tpm, concurrency, async jobs (0 = none). Reads without
    /// charging: {remaining requests, requests reset (µs), remaining tokens, tokens reset (µs), leases in flight
    /// (unexpired), async jobs unfinished (unlapsed)}.
    /// </summary>
    public const string Peek = LevelFunction + """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local function left(field, limit)
          if limit <= 0 then return 0, 0 end
          local used = level_of(KEYS[1], field, limit, now)
          return math.max(0, math.floor(limit - used)), math.floor(used * MINUTE_US / limit)
        end
        local rqleft, rqreset = left('rq', rpm)
        local tkleft, tkreset = left('tk', tpm)
        local inflight, unfinished = 0, 0
        if conc > 0 then inflight = redis.call('ZCOUNT', KEYS[2], '(' .. string.format('%.0f', now), '+inf') end
        if tonumber(ARGV[4] or '0') > 0 then unfinished = redis.call('ZCOUNT', KEYS[3], '(' .. string.format('%.0f', now), '+inf') end
        return {rqleft, rqreset, tkleft, tkreset, inflight, unfinished}
        """;
}
