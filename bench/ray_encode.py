"""Plain vs Ray encoding of N SQuAD dev sentences: throughput of each, their ratio, equal vectors?

    python bench/ray_encode.py [N [ROUNDS]]   # N sentences (default 5000), ROUNDS alternated runs (2);
                                              # JSON in bench/out/ray_encode.json

The sentences are SQuAD v1.1 dev contexts cut by qa.segment, in file order. "plain" is what
``qa index`` does (``embedder(model).encode``, the model already loaded, torch on every core);
"ray cold" is ``qa.distributed.encode`` from nothing (Ray started, one actor per CPU, each loading
the model); "ray warm" is a second call with Ray up (the actors, and their model loads, are new
for each call, as they are for each ``qa index --ray``); and 8 texts each way, Ray's fixed cost a
call. Plain and Ray runs alternate, best of each kept, with the load average printed: on a shared
machine a busy neighbour hurts one two-threaded process more than two one-threaded actors, so the
ratio measured on a loaded machine is not Ray's cost on a quiet one. Local Ray is held to 2 CPUs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from qa import segment
from qa.config import DEFAULT_MODEL
from qa.embed import embedder
from qa.evaluate import DATA

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def squad_sentences(n: int) -> list[str]:
    data = json.loads((DATA / "squad-dev-v1.1.json").read_text(encoding="utf-8"))["data"]
    out: list[str] = []
    for article in data:
        for p in article["paragraphs"]:
            text = p["context"]
            out.extend(text[a:b] for a, b in segment.sentences(text, 0, len(text)))
            if len(out) >= n:
                return out[:n]
    return out


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 5000
    rounds = int(argv[1]) if len(argv) > 1 else 2
    texts = squad_sentences(n)
    load_before = os.getloadavg()[0]
    model = DEFAULT_MODEL
    emb = embedder(model)
    emb.encode(texts[:64])  # warm-up: first-call allocations are not the loop's cost

    from qa import distributed

    t = time.perf_counter()
    cold = distributed.encode(texts, model)
    cold_s = time.perf_counter() - t
    # Alternated, best of each: the machine is shared, and a burst of someone else's work should
    # not land on one side only.
    plain_s = warm_s = float("inf")
    same = True
    for _ in range(rounds):
        t = time.perf_counter()
        plain = emb.encode(texts)
        plain_s = min(plain_s, time.perf_counter() - t)
        t = time.perf_counter()
        warm = distributed.encode(texts, model)
        warm_s = min(warm_s, time.perf_counter() - t)
        same = same and np.array_equal(plain, cold) and np.array_equal(plain, warm)
    # Ray's fixed cost, machine load aside: 8 texts, where encoding is next to nothing (the actors'
    # start and model load, scheduling, transfers).
    t = time.perf_counter()
    emb.encode(texts[:8])
    tiny_plain_s = time.perf_counter() - t
    t = time.perf_counter()
    distributed.encode(texts[:8], model)
    tiny_ray_s = time.perf_counter() - t
    import ray

    cpus = int(ray.cluster_resources().get("CPU", 0))
    diff = float(np.abs(plain - warm).max()) if len(texts) else 0.0
    result = {
        "sentences": len(texts), "ray_cpus": cpus, "rounds": rounds,
        "plain_per_s": round(len(texts) / plain_s, 1),
        "ray_cold_per_s": round(len(texts) / cold_s, 1),
        "ray_warm_per_s": round(len(texts) / warm_s, 1),
        "ratio_cold": round(plain_s / cold_s, 3), "ratio_warm": round(plain_s / warm_s, 3),
        "identical": bool(same), "max_abs_diff": diff,
        "fixed_cost_s": {"plain_8_texts": round(tiny_plain_s, 2), "ray_8_texts": round(tiny_ray_s, 2)},
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # 1-min, before and after
    }
    print(f"{len(texts)} SQuAD dev sentences, {model}, local Ray on {cpus} CPUs, best of {rounds} alternated runs; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after on {os.cpu_count()} cores")
    print(f"  plain     {result['plain_per_s']:8.1f} sentences/s  ({plain_s:.1f} s)")
    print(f"  ray warm  {result['ray_warm_per_s']:8.1f} sentences/s  ({warm_s:.1f} s, Ray/plain {result['ratio_warm']:.2f}x)")
    print(f"  ray cold  {result['ray_cold_per_s']:8.1f} sentences/s  ({cold_s:.1f} s with Ray's start, "
          f"Ray/plain {result['ratio_cold']:.2f}x)")
    print(f"  8 texts:  plain {tiny_plain_s:.2f} s, Ray {tiny_ray_s:.2f} s (Ray's fixed cost a call, Ray already up)")
    print(f"  identical vectors: {result['identical']} (max |diff| {diff:.2g})")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ray_encode.json").write_text(json.dumps(result, indent=1))
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
