-- The machine-readable summary line every bench wrk script ends with (bench/run.sh and lib/point.py read it), loaded by
-- them with dofile from this directory: write_bench_summary(summary, latency[, extra]) from their done() hook.
function write_bench_summary(summary, latency, extra)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d non2xx=%d%s\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status, extra or ""))
end
