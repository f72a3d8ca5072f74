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

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "summary.lua")
function done(summary, latency, requests)
  write_bench_summary(summary, latency)
end
