-- wrk script for the CCAPI benchmarks: one request shape per run, configured through the environment, and a
-- machine-readable summary line at the end (the human-readable wrk report above it is kept as the raw output).
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (POST), sent with Content-Type: application/json
--   BENCH_KEY     API key, sent as "Authorization: Bearer <key>" when set
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local key = os.getenv("BENCH_KEY")

wrk.method = method
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if key and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

-- No response() hook on purpose: defining one makes wrk parse every body, which costs load-generator CPU on a
-- machine where wrk shares the cores with the servers. Non-2xx answers are still counted (summary.errors.status).

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status))
end
