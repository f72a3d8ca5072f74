"""Writes bench/results/<date>-<label>.md from one run's scratch directory (env, points.jsonl, spans.json) and its raw
directory. Every figure in the report comes from those files; nothing is typed in by hand.

usage: report.py <work-dir> <raw-dir>"""
import json
import os
import sys

from runfiles import read_jsonl, read_kv

work, raw = sys.argv[1], sys.argv[2]
env = read_kv(os.path.join(work, "env"))
points = read_jsonl(os.path.join(work, "points.jsonl"))
with open(os.path.join(work, "spans.json")) as f:
    spans = json.load(f)
spans_on = {}
with open(os.path.join(raw, "chat-c1-spans-on.txt")) as f:
    for line in f:
        if line.startswith("BENCH "):
            spans_on = {k: float(v) for k, v in (p.split("=", 1) for p in line.split()[1:])}

# Design §6.
NODE_RPS = 1500
TARGET_RPS = NODE_RPS * 1.5
TARGET_ADDED_P50_MS = 1.5
TARGET_READY_MS = 3000
TARGET_RSS_MB = 150
SERVICES = ["CCApi.Gateway", "CCApi.Adapters.Local", "CCApi.JobStatus", "CCApi.Catalog"]
SHORT = {"CCApi.Gateway": "gateway", "CCApi.Adapters.Local": "adapter", "CCApi.JobStatus": "jobstatus",
         "CCApi.Catalog": "catalog", "rabbitmq": "rabbitmq", "redis": "redis", "wrk": "wrk", "other": "other"}

pt = {(p["scenario"], p["conns"]): p for p in points}
conns = sorted({p["conns"] for p in points})
ms = lambda us: us / 1000
out = []
w = out.append


def verdict(ok):
    return "**met**" if ok else "**missed**"


def f1(x):
    return f"{x:,.1f}"


def f2(x):
    return f"{x:,.2f}"


MAX_OTHER = int(env.get("max_other", "25"))


def others(p):
    pct = max(0.0, p["cpu_ticks"]["other"] * 1000 / p["wall_ms"])
    retried = " (re-measured)" if p.get("attempts", 1) > 1 else ""
    return f"{pct:.0f} %{retried}" + (" ⚠" if pct > MAX_OTHER else "")


def errors(p):
    n = int(p["err_connect"] + p["err_read"] + p["err_write"] + p["err_timeout"])
    return f"{int(p['non2xx'])} / {n}"


w(f"# Benchmark {env['date_utc'][:10]} — local (bench/run.sh)")
w("")
w(f"- Commit measured: `{env['commit'][:12]}` — {env['commit_subject']}"
  + (" (a clean export of this commit was built and run)" if env.get("source") == "head" else
     " (the working tree as it was" + ("" if env.get("dirty", "0") == "0" else
                                        f", with **{env['dirty']} uncommitted changes** under services/, shared/ or deploy/") + ")"))
if env.get("service_env"):
    w(f"- Extra environment for every service (experiment): `{env['service_env']}`")
w(f"- Machine: {env['nproc']} cores ({env['cpu_model']}), {int(env['mem_total_mb']) // 1024} GB RAM, {env['os']}, kernel {env['kernel']}")
w(f"- .NET: SDK {env['dotnet_sdk']}, runtime {env['dotnet_runtime']}, Release build, workstation GC with 1 MiB regions (Directory.Build.props)")
w(f"- Load generator: wrk {env['wrk']} on the same machine (it shares the {env['nproc']} cores with every server); "
  f"RabbitMQ {env['rabbitmq']}, Redis {env['redis']}, both private to this run")
w(f"- Each point: {env['duration_s']} s after a {env['warmup_s']} s warm-up per endpoint; `wrk -t2` "
  f"(`-t1` at 1 connection, wrk needs a connection per thread); 127.0.0.1 only")
w(f"- Load average before / after: {env['loadavg_before']} / {env['loadavg_after']}; CPU used by processes outside "
  "this benchmark is in the \"other\" column of the CPU table")
w("")

w("## Throughput and latency (one run, side by side)")
w("")
w("Full path = `POST /v1/chat/completions` (`local/echo-1`, one short user message): HTTP in → `ChatCompletion` on "
  "`local-chat` → adapter → `ChatCompleted` response → HTTP out (and the event published for JobStatus). "
  "Baseline = `GET /health/live` of the same gateway process (no auth, no bus, no Redis).")
w("")
w("| connections | baseline req/s | baseline p50 | baseline p99 | full path req/s | full path p50 | full path p90 | full path p99 | req/s full/baseline | p50 full/baseline | non-2xx / socket errors (full) | others' CPU baseline / full |")
w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in conns:
    h, ch = pt.get(("health", c)), pt.get(("chat", c))
    if not h or not ch:
        continue
    w(f"| {c} | {h['rps']:,.0f} | {f2(ms(h['p50_us']))} ms | {f2(ms(h['p99_us']))} ms | {ch['rps']:,.0f} | "
      f"{f2(ms(ch['p50_us']))} ms | {f2(ms(ch['p90_us']))} ms | {f2(ms(ch['p99_us']))} ms | "
      f"{ch['rps'] / h['rps']:.3f} | {ch['p50_us'] / max(h['p50_us'], 1):.0f}× | {errors(ch)} | {others(h)} / {others(ch)} |")
w("")
w(f"\"others' CPU\": percent of one core used during the point by processes that are not this benchmark's (other "
  f"sessions' builds and tests share this machine); ⚠ marks a point above {MAX_OTHER} % even after one re-measurement — "
  "its figures are pessimistic.")
w("")

if any(p["scenario"] == "chat-accounts" for p in points):
    w("### Accounts on (issue #8 budget: ≤ 10 % of the throughput at 16 connections, ≤ 0.2 ms p50 at 1 connection)")
    w("")
    w("Same full path with a client key that has credits (reserved and settled per request) and rpm/tpm/concurrency "
      "limits (generous, never reached), beside the bootstrap key (no credits, no limits) in the same run.")
    w("")
    w("| connections | bootstrap req/s | accounts req/s | throughput cost | bootstrap p50 | accounts p50 | p50 added | non-2xx (accounts) |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in conns:
        ch, ac = pt.get(("chat", c)), pt.get(("chat-accounts", c))
        if not ch or not ac:
            continue
        w(f"| {c} | {ch['rps']:,.0f} | {ac['rps']:,.0f} | {(1 - ac['rps'] / ch['rps']) * 100:.1f} % | {f2(ms(ch['p50_us']))} ms | "
          f"{f2(ms(ac['p50_us']))} ms | {f2(ms(ac['p50_us']) - ms(ch['p50_us']))} ms | {errors(ac)} |")
    w("")

# ----------------------------------------------------------------------------------------------- budget
seg = spans["segments_ms"]
c1 = pt.get(("chat", 1))
h1 = pt.get(("health", 1))
w("## Against the budget (design §6)")
w("")
w("| target | budget | measured | ratio (measured / budget) | verdict |")
w("|---|---:|---:|---:|---|")
for c in [c for c in conns if 16 <= c <= 64]:
    p = pt[("chat", c)]
    w(f"| full path req/s at {c} connections | ≥ {TARGET_RPS:,.0f} (1.5 × {NODE_RPS:,}) | {p['rps']:,.0f} | "
      f"{p['rps'] / TARGET_RPS:.2f} ({p['rps'] / NODE_RPS:.2f} × the Node gateway) | {verdict(p['rps'] >= TARGET_RPS)} |")
if c1 and seg["provider"]["p50"] is not None:
    added = ms(c1["p50_us"]) - seg["provider"]["p50"]
    w(f"| p50 added at 1 connection (full-path p50 − provider p50) | ≤ {TARGET_ADDED_P50_MS} ms | {f2(added)} ms | "
      f"{added / TARGET_ADDED_P50_MS:.2f} | {verdict(added <= TARGET_ADDED_P50_MS)} |")
for s in SERVICES:
    r = int(env.get(f"ready_ms.{s}", "0"))
    w(f"| {SHORT[s]}: process start → /health/ready | ≤ {TARGET_READY_MS / 1000:.0f} s | {r / 1000:.2f} s | "
      f"{r / TARGET_READY_MS:.2f} | {verdict(r <= TARGET_READY_MS)} |")
for s in SERVICES:
    rss, hwm = int(env[f"rss_kb.{s}"]) / 1024, int(env[f"hwm_kb.{s}"]) / 1024
    if f"rss_settled_kb.{s}" in env:  # runs since the idle heap release record the RSS once the service is quiet
        settled = int(env[f"rss_settled_kb.{s}"]) / 1024
        w(f"| {SHORT[s]}: RSS after the load, settled (right after; peak) | ≤ {TARGET_RSS_MB} MiB | "
          f"{settled:.0f} MiB ({rss:.0f}; {hwm:.0f} MiB) | {settled / TARGET_RSS_MB:.2f} ({rss / TARGET_RSS_MB:.2f}; "
          f"{hwm / TARGET_RSS_MB:.2f}) | {verdict(settled <= TARGET_RSS_MB)} |")
    else:
        w(f"| {SHORT[s]}: RSS after the load (peak) | ≤ {TARGET_RSS_MB} MiB | {rss:.0f} MiB ({hwm:.0f} MiB) | "
          f"{rss / TARGET_RSS_MB:.2f} ({hwm / TARGET_RSS_MB:.2f}) | {verdict(max(rss, hwm) <= TARGET_RSS_MB)} |")
w("")
w("Time to ready was measured starting the services one after another (Catalog, JobStatus, adapter, gateway), each "
  "polled every 20 ms; restarted later in the same run (span phase, warm file cache): "
  + ", ".join(f"{SHORT[s]} {int(env[f'ready_ms_restart.{s}']) / 1000:.2f} s" for s in ("CCApi.Adapters.Local", "CCApi.Gateway")
              if f"ready_ms_restart.{s}" in env)
  + ". RabbitMQ and Redis after the load: "
  + ", ".join(f"{n} {int(env[f'rss_kb.{n}']) / 1024:.0f} MiB RSS" for n in ("rabbitmq", "redis"))
  + ". RSS is `VmRSS` right after the last point and, settled, 8 s later (the services hand their GC's unused memory "
  "back after 5 quiet seconds, `IdleHeap:QuietPeriod`); peak is `VmHWM`, reached under the load. The verdict reads "
  "\"after load\" as settled (before the idle heap release it read the peak); the 150 MB budget is read as 150 MiB "
  "(the lenient reading).")
w("")

# ----------------------------------------------------------------------------------------------- 1-connection split
w("## Where the time goes at 1 connection")
w("")
if c1:
    w(f"Full path p50 at 1 connection (table above): **{f2(ms(c1['p50_us']))} ms**; the baseline's p50 on the same "
      f"connection: {f2(ms(h1['p50_us']))} ms (HTTP, Kestrel and wrk on loopback).")
w("")
w(f"Split from spans (gateway and adapter restarted with `Telemetry__SpanFile`; {spans['complete']} requests at 1 "
  f"connection over {env['span_duration_s']} s; wrk with spans on: {spans_on.get('rps', 0):,.0f} req/s, p50 "
  f"{f2(ms(spans_on.get('p50_us', 0)))} ms, p99 {f2(ms(spans_on.get('p99_us', 0)))} ms — writing spans synchronously "
  "costs a little, so the absolute figures of this phase are not the headline ones). Medians of each segment, "
  "computed per request; medians do not add up exactly.")
w("")
labels = [
    ("gateway_in", "gateway: HTTP server span start → command send start (body, auth, validation, routing)"),
    ("to_adapter", "send → adapter receive start (MassTransit send, RabbitMQ, delivery)"),
    ("adapter_pipeline", "adapter: receive → consumer start (deserialize, MassTransit pipeline)"),
    ("provider", "provider: echo-1 itself (consumer start → response send start)"),
    ("response_hop", "response send start → gateway receive start (respond, RabbitMQ, delivery)"),
    ("gateway_out", "gateway: response received → HTTP server span end (complete, render JSON)"),
    ("gateway_http", "whole gateway HTTP server span"),
    ("outside_adapter", "gateway HTTP span minus the adapter's on-path time (receive start → response send start)"),
    ("adapter_local_chat", "adapter `chat echo-1` GenAI span (provider + respond + publish ChatCompleted)"),
    ("adapter_publish_event", "of which: publish `ChatCompleted` for JobStatus (after the response left; publisher confirms)"),
    ("gateway_send", "gateway `local-chat send` span (send incl. waiting for the publisher confirm)"),
]
w("| segment | p50 | p90 | p99 |")
w("|---|---:|---:|---:|")
for key, label in labels:
    s = seg[key]
    if s["p50"] is None:
        continue
    w(f"| {label} | {f2(s['p50'])} ms | {f2(s['p90'])} ms | {f2(s['p99'])} ms |")
w("")
if c1:
    full = ms(c1["p50_us"])
    w("Gateway overhead at 1 connection, two ways:")
    w("")
    w(f"- full-path p50 − adapter's own processing p50 (the `chat echo-1` span) = "
      f"{f2(full)} − {f2(seg['adapter_local_chat']['p50'])} = **{f2(full - seg['adapter_local_chat']['p50'])} ms**. "
      "This under-states the overhead: that span also contains the respond and the `ChatCompleted` publish, which "
      "are bus work, and the publish happens after the response has already left.")
    w(f"- full-path p50 − provider p50 (echo-1 alone) = {f2(full)} − {f2(seg['provider']['p50'])} = "
      f"**{f2(full - seg['provider']['p50'])} ms**: everything the platform adds around the provider (HTTP, gateway, "
      "two bus hops, adapter pipeline). This is the figure compared with the 1.5 ms budget above.")
    w("")

# ----------------------------------------------------------------------------------------------- CPU
w("## CPU per point")
w("")
w(f"Percent of one core over the point (the machine has {env['nproc']} cores = {int(env['nproc']) * 100} %). "
  "\"other\" = the machine's busy time minus everything listed (processes outside this benchmark, kernel threads); "
  "per-process and machine counters are sampled differently, so \"other\" is good to about ±20 points (shown as 0 when "
  "the difference is negative).")
w("")
cols = ["CCApi.Gateway", "CCApi.Adapters.Local", "CCApi.JobStatus", "CCApi.Catalog", "rabbitmq", "redis", "wrk", "other"]
w("| scenario | conn | " + " | ".join(SHORT[c] for c in cols) + " | machine |")
w("|---|---:|" + "---:|" * (len(cols) + 1))
for p in points:
    secs = p["wall_ms"] / 1000
    cpu = p["cpu_ticks"]
    label = {"health": "baseline", "chat": "full path", "chat-accounts": "full path, accounts on"}.get(p["scenario"], p["scenario"])
    w(f"| {label} | {p['conns']} | "
      + " | ".join(f"{max(0, cpu.get(c, 0)) / secs:.0f}" for c in cols) + f" | {cpu['machine'] / secs:.0f} |")
w("")
w("CPU time per full-path request (ms of one core per request):")
w("")
w("| conn | " + " | ".join(SHORT[c] for c in cols[:-1]) + " | total (without other) |")
w("|---:|" + "---:|" * len(cols))
for p in points:
    if p["scenario"] != "chat" or not p["requests"]:
        continue
    cpu = p["cpu_ticks"]
    per = [cpu.get(c, 0) * 10 / p["requests"] for c in cols[:-1]]
    w(f"| {p['conns']} | " + " | ".join(f"{x:.2f}" for x in per) + f" | {sum(per):.2f} |")
others = {}
for p in points:
    for o in p.get("top_other", []):
        others[o["comm"]] = others.get(o["comm"], 0) + o["ticks"]
if others:
    w("")
    w("Largest processes outside the benchmark during the points (CPU seconds, summed over the points): "
      + ", ".join(f"{k} {v / 100:.1f} s" for k, v in sorted(others.items(), key=lambda kv: -kv[1])[:5]) + ".")
w("")

# ----------------------------------------------------------------------------------------------- Redis
stats_path = os.path.join(raw, "redis-commandstats.txt")
chat_requests = sum(p["requests"] for p in points if p["scenario"] == "chat")
if os.path.exists(stats_path) and chat_requests:
    calls = {}
    with open(stats_path) as f:
        for line in f:
            if line.startswith("cmdstat_"):
                name, rest = line[len("cmdstat_"):].split(":", 1)
                calls[name] = int(rest.split(",")[0].split("=")[1])
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:6]
    w("## Redis")
    w("")
    w(f"Commands counted by Redis over the whole run (warm-up and smoke test included; commands run inside Lua "
      f"scripts are counted too), per recorded full-path request ({chat_requests:,.0f}): "
      + ", ".join(f"`{k}` {v / chat_requests:.2f}" for k, v in top)
      + ". Raw: `redis-commandstats.txt`.")
    w("")

w("Raw wrk outputs, the per-point JSON (`points.jsonl`, CPU ticks per process), the span split (`spans.json`) and the "
  f"run's environment are in `raw/{os.path.basename(raw.rstrip('/'))}/`.")
print("\n".join(out))
