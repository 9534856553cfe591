"""``qa index --ray`` against ``qa index`` on the qa eval corpus (pooled SQuAD v1.1 dev), one run:
the same vectors (bit for bit) and the same retrieve() results for the held-out questions.

    python bench/ray_index.py     # bench/out/ray-index with Ray, bench/out/plain-index without (kept if built)

Both are built here, by the same code: qa eval's own cached index may predate a segmentation
change (its seeds did not change, so it was never rebuilt), and would differ for that reason.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from squad import DATA, write_seeds  # noqa: E402  (bench/squad.py)

from qa import Index, retrieve  # noqa: E402
from qa.cli import main as qa  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=REPO / "bench" / "out" / "eval", help="qa eval's cache (its seeds)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ray-index.json")
    ap.add_argument("--questions", type=int, default=1000)
    args = ap.parse_args(argv)
    articles = write_seeds(DATA / "squad-dev-v1.1.json", args.cache / "seeds")
    timings = {}
    for name, flags in (("plain", []), ("ray", ["--ray"])):
        folder = args.out.parent / f"{name}-index"
        t = time.perf_counter()
        assert qa(["index", *flags, "--seeds", str(args.cache / "seeds"), "--index", str(folder)]) == 0
        timings[f"{name} qa index s"] = round(time.perf_counter() - t, 1)
    plain = Index(seeds=args.cache / "seeds", index=args.out.parent / "plain-index")
    ray = Index(seeds=args.cache / "seeds", index=args.out.parent / "ray-index")
    assert plain.refresh() is False and ray.refresh() is False
    same_vectors = bool(np.array_equal(np.asarray(ray.state.vectors), np.asarray(plain.state.vectors)))
    qs = [qa_["question"] for a in articles[1::2] for p in a["paragraphs"] for qa_ in p["qas"]][:args.questions]
    differ = sum(retrieve(q, k=5, index=ray) != retrieve(q, k=5, index=plain) for q in qs)
    report = {"sentences": len(ray.state), **timings, "identical vectors": same_vectors,
              "questions": len(qs), "questions whose top 5 differ": differ}
    print(json.dumps(report, indent=1))
    args.out.write_text(json.dumps(report, indent=1))
    return 0 if same_vectors and not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
