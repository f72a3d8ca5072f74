#!/usr/bin/env bash
# ab.sh rounds: alternates twin gateways A (8480) and B (8580) point by point; prints one line per point
cd /work/main
K=sk-bench-$(printf 'a%.0s' {1..32})
export BENCH_METHOD=POST BENCH_KEY=$K
SYNC='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hi in five words."}],"max_tokens":16}'
SB='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hi in five words."}],"max_tokens":16,"stream":true}'
DB='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hi in five words."}],"max_tokens":16,"stream":true}'
pid_of() { ss -ltnp | awk -v p=":$1" '$4 ~ p"$" {print}' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
others() { for p in 8491 8482 8481; do pid_of $p; done; pgrep -f "beam.smp.*ccapi-5702"; pgrep -f "redis-server.*:6409"; }
ticks() { local t=0; for p in "$@"; do set -- $(awk '{print $14, $15}' /proc/$p/stat 2>/dev/null); t=$((t + ${1:-0} + ${2:-0})); done; echo $t; }
point() { # name port kind conns secs
  local gw=$(pid_of $2) o=$(others | tr '\n' ' ')
  local g0=$(ticks $gw) a0=$(ticks $o) t0=$(date +%s%N)
  if [ "$3" = stream ]; then
    out=$(python3 bench/lib/ttft.py $5 1 http://127.0.0.1:$2/v1/chat/completions $K "$SB" http://127.0.0.1:18290/v1/chat/completions "$DB")
    n=$(jq '.pairs' <<<"$out"); m=$(jq -r '"ttft_p50=\(.gateway.ttft_p50_ms*1000|round/1000) direct=\(.direct.ttft_p50_ms*1000|round/1000) added=\(.added_p50_ms*1000|round/1000)"' <<<"$out")
  else
    out=$(BENCH_BODY=$SYNC wrk -t1 -c$4 -d${5}s --latency -s bench/wrk/request.lua http://127.0.0.1:$2/v1/chat/completions)
    n=$(awk '/requests in/ {print $1}' <<<"$out"); m="rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out") p50=$(awk '$1=="50%" {print $2}' <<<"$out") p99=$(awk '$1=="99%" {print $2}' <<<"$out")"
  fi
  local g1=$(ticks $gw) a1=$(ticks $o)
  echo "$1 $3 c=$4 n=$n $m gw_us/req=$(( (g1-g0)*10000000/(n>0?n:1) / 1000 )) rest_us/req=$(( (a1-a0)*10000000/(n>0?n:1) / 1000 ))"
}
for r in $(seq 1 $1); do
  if [ $((r % 2)) = 1 ]; then order="A:8480 B:8580"; else order="B:8580 A:8480"; fi
  for kind in ${KINDS:-sync,1,10 stream,1,8 sync,16,10}; do
    set -- ${kind//,/ }
    for t in $order; do point ${t%%:*} ${t#*:} $1 $2 $3; done
  done
done
