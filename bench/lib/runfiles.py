"""Readers of the small files bench/run.sh records (key=value lists, JSON lines), shared by its report scripts."""
import json
import os


def read_kv(path):
    """A key=value file (env, peer-env, phases-env, ...) as a dict; {} when the file does not exist."""
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


def read_jsonl(path):
    """One JSON object per non-empty line (points.jsonl, phases.jsonl)."""
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]
