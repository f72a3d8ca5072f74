-- wrk script for a fixed-rate GET load over a set of paths (bench/run.sh's job polling: GET /v1/images/jobs/{id}),
-- since wrk2 is not packaged here. Configured through the environment:
--   BENCH_PATHS   space-separated request paths, used round robin (each thread starts at a different one)
--   BENCH_RATE    target requests per second over all threads (0 or unset: closed loop, as fast as answers come)
--   BENCH_THREADS the -t given to wrk (each thread paces its share of the rate)
--   BENCH_KEY     API key, sent as "Authorization: Bearer <key>" when set
-- Pacing: each thread keeps a schedule of send slots 1/(rate/threads) apart on the monotonic clock (LuaJIT FFI) and
-- wrk's delay() hook holds every connection's next request until the next free slot, so the offered rate stays fixed
-- while answers are faster than the slots; when they are not, requests go out as soon as a connection is free (the
-- achieved rate in the summary line then falls below the target). wrk's delay() has whole-millisecond resolution, the
-- slots do not drift (each is the previous plus the interval), so the rate holds on average. wrk times each request from
-- its write to its answer: the latencies are service times, not corrected for coordinated omission as wrk2's are; with
-- connections to spare (run.sh uses 16 at 1k req/s) a slow answer does not delay the slots behind it.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do paths[#paths + 1] = p end
local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0
local threads = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
local key = os.getenv("BENCH_KEY")
if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end

local counter = 0
local thread_index = 0
function setup(thread)
  thread:set("offset", thread_index)
  thread_index = thread_index + 1
end

local interval = rate > 0 and (1000 * threads / rate) or 0
local next_slot = nil
function init(args)
  counter = (offset or 0) * 7
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function delay()
  if interval <= 0 then return 0 end
  local t = now_ms()
  if next_slot == nil or next_slot < t - 1000 then next_slot = t end -- start, or more than 1 s behind: start over
  next_slot = next_slot + interval
  local wait = next_slot - t
  if wait <= 0 then return 0 end
  return math.floor(wait + 0.5)
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "summary.lua")
function done(summary, latency, requests)
  write_bench_summary(summary, latency, string.format(" target_rps=%.1f", rate))
end
