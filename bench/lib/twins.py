"""Summary of bench/twins.sh: B ÷ A per pair of points, as a Markdown table.

Input: the points file (one line per point, "<A|B> <kind> c=<n> n=<requests> key=value ..."), and the revisions file.
Points pair up in the order they ran (each round measures every point once per twin, A first in odd rounds, B first in
even ones). For every point and metric: the medians of A and B, the median of the per-pair ratios B ÷ A, and how many
pairs B won (more req/s; less latency, time to first token or CPU per request)."""
import re
import statistics
import sys
from collections import defaultdict

HIGHER_IS_BETTER = {"rps"}
LABELS = {
    "rps": "req/s",
    "p50": "p50 (ms)",
    "ttft_added": "time to first token added (ms)",
    "gw_us": "gateway CPU per request (µs)",
    "rest_us": "other processes' CPU per request (µs)",
}


def value(text):
    if text.endswith("us"):  # wrk prints sub-millisecond latencies in µs
        return float(text[:-2]) / 1000
    if text.endswith("ms"):
        return float(text[:-2])
    if text.endswith("s"):
        return float(text[:-1]) * 1000
    return float(text)


def main(points_path, revisions_path):
    series = defaultdict(lambda: {"A": [], "B": []})
    with open(points_path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 4 or fields[0] not in ("A", "B"):
                continue
            twin, point = fields[0], f"{fields[1]} {fields[2].replace('c=', '')} conn."
            for key, raw in re.findall(r"(\w+)=(\S+)", " ".join(fields[3:])):
                if key in LABELS:
                    series[(point, key)][twin].append(value(raw))

    with open(revisions_path) as f:
        print(f.read().strip().replace("\n", "  \n"))
    print()
    print("| point | metric | A median | B median | B ÷ A (median of pairs) | B better |")
    print("|---|---|---:|---:|---:|---:|")
    for (point, key), twins in series.items():
        pairs = list(zip(twins["A"], twins["B"]))
        if not pairs:
            continue
        ratios = [b / a for a, b in pairs if a]
        won = sum((b > a) if key in HIGHER_IS_BETTER else (b < a) for a, b in pairs)
        print(f"| {point} | {LABELS[key]} | {statistics.median(twins['A']):,.2f} | {statistics.median(twins['B']):,.2f} | "
              f"{statistics.median(ratios):.3f} | {won}/{len(pairs)} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
