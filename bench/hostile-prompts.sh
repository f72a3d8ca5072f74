#!/usr/bin/env bash
# What a chat request's text costs the gateway before rate-limit admission (parse, validation, the model's context
# window, the reservation's price for a key with credits), on ordinary and hostile prompts, for HEAD beside a base
# commit: both built from `git archive` exports, run interleaved round by round so they see the same machine noise.
# Writes bench/results/<date>-hostile-prompts.md with the medians over the rounds and the ratios to the base.
#
#   BENCH_BASE (HEAD~1) the commit to compare with     BENCH_ROUNDS (3)   BENCH_REPETITIONS (11) per prompt and round
#   BENCH_DATE (today, UTC)   BENCH_ONLY: only the prompts whose kind contains one of these '|'-separated words; the
#   report is then <date>-hostile-prompts-only.md
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO"
DATA="$REPO/.data/bench-hostile-prompts"
BASE=$(git rev-parse --short=12 "${BENCH_BASE:-HEAD~1}")
HEAD_COMMIT=$(git rev-parse --short=12 HEAD)
ROUNDS=${BENCH_ROUNDS:-3}
REPETITIONS=${BENCH_REPETITIONS:-11}
DATE=${BENCH_DATE:-$(date -u +%F)}
ONLY=${BENCH_ONLY:-}
REPORT="$BENCH_DIR/results/$DATE-hostile-prompts${ONLY:+-only}.md"

rm -rf "$DATA"
mkdir -p "$DATA"
for variant in base head; do
  commit=$([ "$variant" = base ] && echo "$BASE" || echo "$HEAD_COMMIT")
  echo "building $variant ($commit)" >&2
  mkdir -p "$DATA/$variant/src"
  git archive "$commit" | tar -x -C "$DATA/$variant/src"
  # The harness is this tree's, built inside each export against that commit's gateway.
  rm -rf "$DATA/$variant/src/bench/hostile-prompts"
  mkdir -p "$DATA/$variant/src/bench"
  cp -r "$BENCH_DIR/hostile-prompts" "$DATA/$variant/src/bench/"
  rm -rf "$DATA/$variant/src/bench/hostile-prompts/obj" "$DATA/$variant/src/bench/hostile-prompts/bin"
  dotnet build "$DATA/$variant/src/bench/hostile-prompts" -c Release -o "$DATA/$variant/out" -nologo -clp:ErrorsOnly -v:q >&2
done

: >"$DATA/points.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
  for variant in base head; do
    echo "round $round: $variant" >&2
    dotnet "$DATA/$variant/out/CCApi.Bench.HostilePrompts.dll" "$REPETITIONS" "$ONLY" | sed "s|^|$round\t$variant\t|" >>"$DATA/points.tsv"
  done
done

python3 - "$DATA/points.tsv" "$REPORT" "$BASE" "$HEAD_COMMIT" "$ROUNDS" "$REPETITIONS" <<'PY'
import statistics, sys, os
points, report, base, head, rounds, reps = sys.argv[1:]
ms, outcome, order = {}, {}, []
for line in open(points):
    rnd, variant, kind, t, result = line.rstrip("\n").split("\t")
    if kind not in order: order.append(kind)
    ms.setdefault((kind, variant), []).append(float(t))
    outcome[(kind, variant)] = result
load = os.getloadavg()
with open(report, "w") as f:
    f.write(f"# What a chat request's text costs the gateway before admission — `{head}` beside `{base}`\n\n")
    f.write(f"`bench/hostile-prompts.sh`: {rounds} interleaved rounds; in each, every prompt put through the gateway's own code "
            f"{reps} times (the body parsed and validated, the context window of a 128k-token model checked, the reservation priced for a key "
            "with credits) and the median taken; the table gives the medians over the rounds. One thread, no HTTP, no Redis: what the "
            f"gateway spends on the text before it asks Redis to admit the request. Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.\n\n")
    f.write(f"| prompt | `{base}` ms | `{head}` ms | ÷ base | outcome (`{head}`) |\n|---|---:|---:|---:|---|\n")
    for kind in order:
        b = statistics.median(ms[(kind, "base")]); h = statistics.median(ms[(kind, "head")])
        f.write(f"| {kind} | {b:,.1f} | {h:,.1f} | {h / b:.2f} | {outcome[(kind, 'head')]} |\n")
    f.write("\nRaw points (round, variant, prompt, ms, outcome):\n\n```\n" + open(points).read() + "```\n")
print(open(report).read())
PY
