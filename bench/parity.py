"""Store parity: the qa eval corpus (pooled SQuAD v1.1 dev) ranked by the product's retrieve()
with the vectors in FAISS and in Milvus, in one run.

The Milvus index is made the way a user moves one: the same seeds and a copy of the FAISS index
folder, with the store setting changed, so no sentence is encoded again. Prints MRR and recall for
both, the difference, how many questions get a different first sentence, and ms per question.

    python bench/parity.py                          # Milvus Lite in this process
    python bench/parity.py --store http://127.0.0.1:19530   # a Milvus server
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

from squad import DATA, questions, write_seeds  # noqa: E402  (bench/squad.py)

from qa import Index  # noqa: E402
from qa.embed import embedder  # noqa: E402
from qa.evaluate import encode_cached, metrics, ranks, second_stage  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=REPO / "bench" / "out" / "eval", help="qa eval's cache")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "parity")
    ap.add_argument("--store", default=None, help="Milvus URI (default: a Milvus Lite file under --out)")
    ap.add_argument("--limit", type=int, default=0, help="first N questions only (0: all)")
    args = ap.parse_args(argv)
    articles = write_seeds(DATA / "squad-dev-v1.1.json", args.cache / "seeds")
    faiss_index = Index(seeds=args.cache / "seeds", index=args.cache / "index", store="faiss")
    t = time.perf_counter()
    faiss_index.refresh(progress=True)
    print(f"faiss index ready in {time.perf_counter() - t:.1f} s: {len(faiss_index.state):,} sentences")
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    shutil.copytree(args.cache / "index", args.out / "index", ignore=shutil.ignore_patterns(".lock"))
    store = args.store or str(args.out / "squad.db")
    milvus_index = Index(seeds=args.cache / "seeds", index=args.out / "index", store=store)
    t = time.perf_counter()
    milvus_index.refresh()
    moved = time.perf_counter() - t
    print(f"moved to {store} in {moved:.1f} s ({milvus_index.state.manifest['encoded']} sentences encoded)")

    qs = [q for q in questions(articles, faiss_index) if q.gold]
    if args.limit:
        qs = qs[:args.limit]
    items = [(q.text, q.gold) for q in qs]
    tvecs = encode_cached(faiss_index, [q.text for q in qs], args.cache, "questions-tuned",
                           embedder(faiss_index.settings.model, True))
    report = {"questions": len(qs), "sentences": len(faiss_index.state), "store": store, "move s": round(moved, 1)}
    firsts = {}
    for name, index in (("faiss", faiss_index), ("milvus", milvus_index)):
        method = second_stage(index.calibration)
        r, _, ms = ranks(index.state, items, tvecs, method)
        firsts[name] = [int(method(index.state, q, v, None)[0][0]) for (q, _), v in zip(items[:500], tvecs[:500])]
        report[name] = metrics(r) | {"ms per question": round(ms, 2)}
        print(name, json.dumps(report[name]))
    report["mrr difference"] = round(report["milvus"]["mrr"] - report["faiss"]["mrr"], 4)
    report["different first sentence (of the first 500)"] = int(np.sum(np.array(firsts["faiss"]) != np.array(firsts["milvus"])))
    report["ms ratio milvus/faiss"] = round(report["milvus"]["ms per question"] / report["faiss"]["ms per question"], 2)
    print(json.dumps(report, indent=1))
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
