"""Time to first token of a streamed chat completion, through the gateway and straight to the upstream it calls, for
bench/run.sh's streaming phase (issue 10: first token added by the platform <= 1 ms p50 over direct).

usage: ttft.py <seconds> <warmup-seconds> <gateway-url> <gateway-key> <gateway-body> <direct-url> <direct-body>

One keep-alive connection to each target; requests alternate between the two (direct first in odd rounds, gateway
first in even ones), one at a time, so both see the same machine state and neither waits behind the other. For each
request: t0 just before the request is written; TTFT = until the first SSE event whose choices[0].delta.content is not
empty has been read (a role-only first chunk or the response headers do not count: a gateway may send its headers
before the upstream has produced anything); total = until the end of the stream ([DONE] and the chunked body's end).
Each response is checked: 200, text/event-stream, a content token, [DONE], and the same text both ways. Prints one
JSON object: per target the samples' percentiles (ms), events per stream, errors; plus the per-round differences."""
import http.client
import json
import sys
import time
import urllib.parse

seconds, warmup, gw_url, gw_key, gw_body, direct_url, direct_body = sys.argv[1:]
seconds, warmup = float(seconds), float(warmup)


class Target:
    def __init__(self, name, url, body, key):
        u = urllib.parse.urlsplit(url)
        self.name, self.host, self.port, self.path = name, u.hostname, u.port, u.path
        self.body = body.encode()
        self.headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if key:
            self.headers["Authorization"] = "Bearer " + key
        self.conn = None
        self.ttft, self.total, self.events, self.errors, self.texts = [], [], [], [], set()

    def one(self, record):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        t0 = time.perf_counter()
        first = None
        events = 0
        text = []
        done = False
        try:
            self.conn.request("POST", self.path, body=self.body, headers=self.headers)
            resp = self.conn.getresponse()
            if resp.status != 200 or not resp.getheader("Content-Type", "").startswith("text/event-stream"):
                raise ValueError(f"status {resp.status} {resp.getheader('Content-Type')}: {resp.read()[:200]!r}")
            while True:
                line = resp.readline()
                if not line:
                    break
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    done = True
                    continue
                events += 1
                chunk = json.loads(data)
                choices = chunk.get("choices") or []
                content = (choices[0].get("delta") or {}).get("content") if choices else None
                if content:
                    if first is None:
                        first = time.perf_counter()
                    text.append(content)
            end = time.perf_counter()
            if first is None or not done:
                raise ValueError(f"stream without a content token or [DONE] ({events} events)")
        except Exception as e:  # one failed request is reported, not fatal; the connection is opened afresh
            self.conn.close()
            self.conn = None
            if record:
                self.errors.append(f"{type(e).__name__}: {e}"[:300])
            return
        if record:
            self.ttft.append((first - t0) * 1000)
            self.total.append((end - t0) * 1000)
            self.events.append(events)
            self.texts.add("".join(text))


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def summary(t):
    return {"requests": len(t.ttft), "errors": len(t.errors), "first_errors": t.errors[:3],
            **{f"ttft_p{p}_ms": pct(t.ttft, p) for p in (50, 90, 99)}, "ttft_max_ms": max(t.ttft, default=None),
            **{f"total_p{p}_ms": pct(t.total, p) for p in (50, 99)},
            "events_p50": pct(t.events, 50), "distinct_texts": len(t.texts)}


direct = Target("direct", direct_url, direct_body, None)
gateway = Target("gateway", gw_url, gw_body, gw_key)
start = time.perf_counter()
rounds = 0
diffs = []
while True:
    now = time.perf_counter() - start
    if now >= warmup + seconds:
        break
    record = now >= warmup
    order = (direct, gateway) if rounds % 2 == 0 else (gateway, direct)
    n = (len(direct.ttft), len(gateway.ttft))
    for t in order:
        t.one(record)
    if record and len(direct.ttft) == n[0] + 1 and len(gateway.ttft) == n[1] + 1:
        diffs.append(gateway.ttft[-1] - direct.ttft[-1])
    rounds += 1

out = {"seconds": seconds, "warmup_s": warmup, "direct": summary(direct), "gateway": summary(gateway),
       "same_text": direct.texts == gateway.texts and len(direct.texts) == 1,
       "pair_diff_p50_ms": pct(diffs, 50), "pairs": len(diffs)}
if out["direct"]["ttft_p50_ms"] is not None and out["gateway"]["ttft_p50_ms"] is not None:
    out["added_p50_ms"] = out["gateway"]["ttft_p50_ms"] - out["direct"]["ttft_p50_ms"]
print(json.dumps(out))
