namespace CCApi.Gateway.Credits;

/// <summary>
/// Settlement and expiry of credit reservations (the reservation itself is taken with the rate limits, in
/// <see cref="Limits.RateLimitScripts.Admit"/>). Every key is under the API key's hash tag <c>{key:id}</c>, so each script
/// runs on one Redis Cluster slot. Money is whole nano-dollars; HINCRBY keeps the balances exact.
/// </summary>
public static class CreditScripts
{
    /// <summary>
    /// KEYS: the key's record, its reservations, its usage entries (<see cref="RedisKeys.ApiKeyUsageEntries"/>), the job's
    /// settled marker, its usage rollups (<see cref="RedisKeys.ApiKeyUsage"/>), its ledger, its unfinished async jobs
    /// (<see cref="RedisKeys.ApiKeyAsyncJobs"/>), and — when the request holds a rate-limit lease — the key's rate state and
    /// in-flight set. ARGV: job id (N), actual cost
    /// in nano-dollars (-1 = release: the job failed, was canceled or timed out), marker TTL (s), unix seconds, model,
    /// provider, kind, prompt tokens, completion tokens, images, characters, priced (1|0), the oldest usage entry id to
    /// keep (unix ms: entries older than <see cref="CreditOptions.UsageEntryRetention"/> are trimmed, approximately, as
    /// entries are added), the rollups' retention in ms (<see cref="CreditOptions.LedgerRetention"/>), lease id ("" =
    /// none), tpm (0 = none), token correction (the three used only with the lease keys), and the prompt tokens served from
    /// the provider's prompt cache (written to the entry and the rollups only when above 0).
    /// <para>
    /// Exactly once per job id: the marker is set first (SET NX); a second call finds it and changes nothing. The hold is
    /// removed from <c>reserved_nusd</c>; on success the charge is the actual cost capped at the hold (or, when the hold
    /// already expired, at what is available) and at the balance — spend never exceeds credits — and is taken from
    /// <c>credits_nusd</c> (keys with credits), added to <c>spent_nusd</c>, written to the key's usage entries as a
    /// "usage" entry with the balance after it (<see cref="AppendEntryFunction"/>: its id is not in the ledger), and added
    /// to the key's hourly usage rollups (<see cref="UsageRollupFunction"/>). The lease, when given, is released whatever
    /// the outcome (one call ends the request), and the job's slot among the key's async jobs is freed whatever the outcome
    /// (a duplicate included: ZREM of an absent member is a no-op).
    /// Returns {outcome ("settled" | "released" | "duplicate" | "missing"), hold, charge}.
    /// </para>
    /// </summary>
    public const string Settle = "if redis.replicate_commands then redis.replicate_commands() end\n" + Limits.RateLimitScripts.ReleaseLeaseFunction + AppendEntryFunction + UsageRollupFunction + """
        local function settle()
          if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', '0', '0'} end
          if not redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[3]) then return {'duplicate', '0', '0'} end
          local hold = 0
          local held = redis.call('HGET', KEYS[2], ARGV[1])
          if held then
            hold = tonumber(string.match(held, '^(%d+)'))
            redis.call('HDEL', KEYS[2], ARGV[1])
            if hold > 0 then redis.call('HINCRBY', KEYS[1], 'reserved_nusd', string.format('%.0f', -hold)) end
          end
          local actual = tonumber(ARGV[2])
          if actual < 0 then return {'released', string.format('%.0f', hold), '0'} end
          local charge = actual
          local credits = redis.call('HGET', KEYS[1], 'credits_nusd')
          if credits then
            local balance = tonumber(credits)
            local cap = hold
            if not held then cap = balance - tonumber(redis.call('HGET', KEYS[1], 'reserved_nusd') or '0') end
            charge = math.max(0, math.min(actual, cap, balance))
            if charge > 0 then redis.call('HINCRBY', KEYS[1], 'credits_nusd', string.format('%.0f', -charge)) end
          end
          local text = string.format('%.0f', charge)
          if charge > 0 then redis.call('HINCRBY', KEYS[1], 'spent_nusd', text) end
          local fields = {'type', 'usage', 'who', 'gateway', 'created', ARGV[4],
            'amount_nusd', charge > 0 and ('-' .. text) or '0', 'balance_after_nusd', redis.call('HGET', KEYS[1], 'credits_nusd') or '',
            'note', '', 'job', ARGV[1], 'model', ARGV[5], 'provider', ARGV[6], 'kind', ARGV[7],
            'prompt_tokens', ARGV[8], 'completion_tokens', ARGV[9], 'images', ARGV[10], 'characters', ARGV[11],
            'cost_nusd', text, 'priced', ARGV[12]}
          local cached = ARGV[18]
          if tonumber(cached) > 0 then
            fields[#fields + 1] = 'cached_tokens'
            fields[#fields + 1] = cached
          end
          local id = append_entry(KEYS[3], KEYS[6], ARGV[13], fields)
          roll_up(KEYS[5], id, tonumber(ARGV[14]), ARGV[5], ARGV[8], ARGV[9], ARGV[10], ARGV[11], text, cached)
          return {'settled', string.format('%.0f', hold), text}
        end
        local outcome = settle()
        redis.call('ZREM', KEYS[7], ARGV[1])
        if #KEYS >= 9 then release_lease(KEYS[8], KEYS[9], ARGV[15], tonumber(ARGV[16]), tonumber(ARGV[17])) end
        return outcome
        """;

    /// <summary>
    /// Lua: <c>append_entry(stream, other, oldest, fields)</c> adds an entry (a table of field, value pairs) to one of a
    /// key's two entry streams — the ledger (credit changes) or the usage entries — trimming entries older than
    /// <c>oldest</c> (unix ms, approximately), and answers its id. The id is never one the other stream holds: the two
    /// are listed as one ledger, by id, and an id is the listing's cursor. Redis makes each stream's ids increase, not the
    /// two together; on a clash (a credit change and a settlement in the same millisecond) the entry is added again with
    /// the next sequence number.
    /// </summary>
    public const string AppendEntryFunction = """
        local function append_entry(stream, other, oldest, fields)
          local id = redis.call('XADD', stream, 'MINID', '~', oldest, '*', unpack(fields))
          while #redis.call('XRANGE', other, id, id) > 0 do
            redis.call('XDEL', stream, id)
            local ms, seq = string.match(id, '^(%d+)-(%d+)$')
            id = redis.call('XADD', stream, ms .. '-' .. string.format('%.0f', tonumber(seq) + 1), unpack(fields))
          end
          return id
        end

        """;

    /// <summary>
    /// Lua: <c>roll_up(usage_key, id, retention_ms, model, prompt, completion, images, characters, cost, cached)</c> adds
    /// one of the key's usage entries (stream id <c>id</c>) to its hourly sums, in the entry's UTC day hash
    /// <c>{usage_key}:{day}</c> (days since the epoch), under the fields <c>{hour}:{metric}:{model}</c> — metrics
    /// <c>n</c> (requests), <c>in</c>/<c>out</c> (tokens), <c>cin</c> (of <c>in</c>, served from the provider's prompt
    /// cache), <c>img</c>, <c>chr</c> and <c>nusd</c> (cost in nano-dollars), zeros left out. The hour is the stream id's, so the sums and the entries agree on which hour an
    /// entry is in (<see cref="UsagePlan"/> reads partial hours from the entries). A day hash expires a retention after
    /// its day and is listed in <c>usage_key</c> (days older than the retention leave it), both set again (idempotently)
    /// with each hour's first entry for a model, so a settlement costs no extra read. The day hash's name is derived
    /// from <c>usage_key</c>, so it shares its hash tag and Redis Cluster slot.
    /// </summary>
    public const string UsageRollupFunction = """
        local function roll_up(usage_key, id, retention_ms, model, prompt, completion, images, characters, cost, cached)
          local ms = tonumber(string.match(id, '^(%d+)'))
          local day = math.floor(ms / 86400000)
          local day_text = string.format('%.0f', day)
          local day_key = usage_key .. ':' .. day_text
          local hour = string.format('%.0f', math.floor((ms - day * 86400000) / 3600000)) .. ':'
          local of_model = ':' .. model
          local first = redis.call('HINCRBY', day_key, hour .. 'n' .. of_model, 1) == 1
          if tonumber(prompt) > 0 then redis.call('HINCRBY', day_key, hour .. 'in' .. of_model, prompt) end
          if tonumber(completion) > 0 then redis.call('HINCRBY', day_key, hour .. 'out' .. of_model, completion) end
          if tonumber(cached) > 0 then redis.call('HINCRBY', day_key, hour .. 'cin' .. of_model, cached) end
          if tonumber(images) > 0 then redis.call('HINCRBY', day_key, hour .. 'img' .. of_model, images) end
          if tonumber(characters) > 0 then redis.call('HINCRBY', day_key, hour .. 'chr' .. of_model, characters) end
          if tonumber(cost) > 0 then redis.call('HINCRBY', day_key, hour .. 'nusd' .. of_model, cost) end
          if first then -- the hour's first entry for the model (the day's first among them): the day's expiry and index
            redis.call('PEXPIREAT', day_key, string.format('%.0f', (day + 1) * 86400000 + retention_ms))
            redis.call('ZADD', usage_key, day_text, day_text)
            redis.call('ZREMRANGEBYSCORE', usage_key, '-inf', '(' .. string.format('%.0f', math.floor((ms - retention_ms) / 86400000)))
          end
        end

        """;

    /// <summary>
    /// KEYS: the key's record, its reservations. ARGV: now (unix ms). Releases every reservation whose expiry has passed
    /// (a gateway died between reservation and settlement); a terminal event arriving later still settles the job, without
    /// a hold. Returns the number released.
    /// </summary>
    public const string Sweep = """
        local all = redis.call('HGETALL', KEYS[2])
        local now = tonumber(ARGV[1])
        local released = 0
        for i = 1, #all, 2 do
          local amount, expiry = string.match(all[i + 1], '^(%d+):(%d+)$')
          if amount and tonumber(expiry) <= now then
            redis.call('HDEL', KEYS[2], all[i])
            if tonumber(amount) > 0 then redis.call('HINCRBY', KEYS[1], 'reserved_nusd', '-' .. amount) end
            released = released + 1
          end
        end
        return released
        """;
}
