"""``qa index --ray`` against ``qa index`` on the qa eval corpus (pooled SQuAD v1.1 dev), one run:
the same vectors (bit for bit) and the same retrieve() results for the held-out questions.

    python bench/ray_index.py            # builds bench/out/ray-index with Ray, compares with bench/out/eval/index
"""

from __future__ import annotations

import argparse
import json
import shutil
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
    ap.add_argument("--cache", type=Path, default=REPO / "bench" / "out" / "eval", help="qa eval's cache (its index: plain)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ray-index")
    ap.add_argument("--questions", type=int, default=1000)
    args = ap.parse_args(argv)
    articles = write_seeds(DATA / "squad-dev-v1.1.json", args.cache / "seeds")
    plain = Index(seeds=args.cache / "seeds", index=args.cache / "index")
    plain.refresh(progress=True)
    if args.out.exists():
        shutil.rmtree(args.out)
    t = time.perf_counter()
    assert qa(["index", "--ray", "--seeds", str(args.cache / "seeds"), "--index", str(args.out)]) == 0
    seconds = time.perf_counter() - t
    ray = Index(seeds=args.cache / "seeds", index=args.out)
    assert ray.refresh() is False
    same_vectors = bool(np.array_equal(np.asarray(ray.state.vectors), np.asarray(plain.state.vectors)))
    qs = [qa_["question"] for a in articles[1::2] for p in a["paragraphs"] for qa_ in p["qas"]][:args.questions]
    differ = sum(retrieve(q, k=5, index=ray) != retrieve(q, k=5, index=plain) for q in qs)
    report = {"sentences": len(ray.state), "ray index s": round(seconds, 1), "identical vectors": same_vectors,
              "questions": len(qs), "questions whose top 5 differ": differ}
    print(json.dumps(report, indent=1))
    (args.out.parent / "ray-index.json").write_text(json.dumps(report, indent=1))
    return 0 if same_vectors and not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
