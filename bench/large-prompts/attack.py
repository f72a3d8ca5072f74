"""One key's large hostile chats, in a loop from several connections: what bench/large-prompts.sh puts beside a victim.

attack.py <port> <key> <connections> <seconds>
Each request is 8 MB of '-' and '=' runs in one message to local/echo-1 (one pre-tokenized piece that merges into long
tokens; answered 400 context_length_exceeded after the gateway has read, parsed and counted it). Prints one line:
`attack <status>=<count> ... p50_s=<seconds>`.
"""
import collections
import http.client
import json
import random
import sys
import threading
import time

port, key, connections, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
rnd = random.Random(7)
runs, length = [], 0
while length < 8_000_000:
    run = rnd.choice("-=") * rnd.randint(1, 63)
    runs.append(run)
    length += len(run)
body = json.dumps({"model": "local/echo-1", "messages": [{"role": "user", "content": "".join(runs)[:8_000_000]}]}).encode()
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + key}
statuses, latencies, lock = collections.Counter(), [], threading.Lock()
end = time.monotonic() + seconds


def attack():
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            connection.request("POST", "/v1/chat/completions", body, headers)
            response = connection.getresponse()
            response.read()
            outcome = str(response.status)
        except (OSError, http.client.HTTPException) as error:
            outcome = type(error).__name__
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        with lock:
            statuses[outcome] += 1
            latencies.append(time.monotonic() - started)


threads = [threading.Thread(target=attack) for _ in range(connections)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
latencies.sort()
p50 = latencies[len(latencies) // 2] if latencies else 0
print("attack " + " ".join(f"{status}={count}" for status, count in sorted(statuses.items())) + f" p50_s={p50:.2f}")
