"""Splits the 1-connection full path into segments from the span files of the gateway and the local adapter
(Telemetry__SpanFile, one JSON object per finished span), lined up per trace. Both processes run on this machine, so
their span timestamps share one clock. Prints a JSON summary (milliseconds; p50/p90/p99 per segment).

Segments of one request (G = gateway, A = adapter):
  gateway_in        G HTTP server span start     -> G "local-chat send" start   (body, auth, validation, routing)
  to_adapter        G "local-chat send" start    -> A "local-chat receive" start (send + broker + delivery)
  adapter_pipeline  A "local-chat receive" start -> A "chat echo-1" start         (MassTransit receive/deserialize)
  provider          A "chat echo-1" start        -> A response "bus send" start  (the echo model itself)
  response_hop      A answer publish start       -> G answer receive start     (Redis PUBLISH + delivery; before
                                                                                  session 25: respond + broker + delivery)
  gateway_out       G answer receive start       -> G HTTP server span end       (complete request, render JSON)
and whole spans: gateway_http (the server span), adapter_local_chat (the "chat echo-1" GenAI span: provider +
respond + publish of ChatCompleted; gen_ai.client.operation.duration stops before the respond), adapter_receive (whole consumer),
adapter_publish_event (the ChatCompleted publish, after the response has left), gateway_send (send incl. confirm)."""
import datetime
import json
import sys


def ts(iso):  # "2026-11-21T03:20:50.5135457Z" -> seconds (7 fractional digits kept)
    head, frac = iso.rstrip("Z").split(".")
    base = datetime.datetime.fromisoformat(head).replace(tzinfo=datetime.timezone.utc).timestamp()
    return base + float("0." + frac)


def load(path):
    spans = []
    with open(path) as f:
        for line in f:
            try:
                s = json.loads(line)
            except ValueError:
                continue  # a line cut off when the file was read
            s["t0"] = ts(s["start"])
            s["t1"] = s["t0"] + s["duration_ms"] / 1000
            spans.append(s)
    return spans


gateway, adapter = load(sys.argv[1]), load(sys.argv[2])
by_trace = {}
for s in gateway + adapter:
    by_trace.setdefault(s["trace_id"], []).append(s)


def one(spans, service, name=None, kind=None, pred=None):
    for s in spans:
        if s["service"].endswith(service) and (name is None or s["name"] == name) and (kind is None or s["kind"] == kind) \
                and (pred is None or pred(s)):
            return s
    return None


segments = {k: [] for k in ("gateway_in", "to_adapter", "adapter_pipeline", "provider", "response_hop", "gateway_out",
                            "gateway_http", "adapter_local_chat", "adapter_receive", "adapter_publish_event", "gateway_send",
                            "outside_adapter")}
complete = 0
for trace, spans in by_trace.items():
    http = one(spans, "Gateway", "POST /v1/chat/completions", "Server")
    send = one(spans, "Gateway", "local-chat send", "Producer")
    back = one(spans, "Gateway", kind="Consumer", pred=lambda s: s["name"].endswith("receive"))
    recv = one(spans, "Adapters.Local", "local-chat receive", "Consumer")
    chat = one(spans, "Adapters.Local", pred=lambda s: s["tags"].get("gen_ai.operation.name") == "chat")  # "chat echo-1"
    # the answer: on the gateway's Redis channel since session 25 ("synchronous reply publish"), to RabbitMQ's direct
    # reply-to from session 12, to the gateway's temporary bus endpoint before
    respond = one(spans, "Adapters.Local", kind="Producer",
                  pred=lambda s: s["name"] == "synchronous reply publish"
                  or any(t in s["tags"].get("messaging.masstransit.destination_address", "")
                         for t in ("amq.rabbitmq.reply-to", "temporary=true")))
    event = one(spans, "Adapters.Local", "CCApi.Contracts:ChatCompleted send", "Producer")
    if not all((http, send, back, recv, chat, respond)):
        continue
    complete += 1
    ms = lambda a, b: (b - a) * 1000
    segments["gateway_in"].append(ms(http["t0"], send["t0"]))
    segments["to_adapter"].append(ms(send["t0"], recv["t0"]))
    segments["adapter_pipeline"].append(ms(recv["t0"], chat["t0"]))
    segments["provider"].append(ms(chat["t0"], respond["t0"]))
    segments["response_hop"].append(ms(respond["t0"], back["t0"]))
    segments["gateway_out"].append(ms(back["t0"], http["t1"]))
    segments["gateway_http"].append(http["duration_ms"])
    segments["adapter_local_chat"].append(chat["duration_ms"])
    segments["adapter_receive"].append(recv["duration_ms"])
    segments["gateway_send"].append(send["duration_ms"])
    # what the request spends outside the adapter's own work (receive start -> response send start)
    segments["outside_adapter"].append(http["duration_ms"] - ms(recv["t0"], respond["t0"]))
    if event:
        segments["adapter_publish_event"].append(event["duration_ms"])


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else None


print(json.dumps({
    "traces": len(by_trace),
    "complete": complete,
    "segments_ms": {k: {"p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99), "n": len(v)} for k, v in segments.items()},
}, indent=1))
