"""retrieve() against encoding the question, and peak memory, on the qa eval index (pooled SQuAD
dev), for one source tree: run it for the tree before a change and the tree after, alternately,
to see that the change left the default path as fast and as small as it was.

    git worktree add /tmp/before <old-commit>
    for t in /tmp/before/src src /tmp/before/src src; do python bench/seam.py $t; done

Prints p50 of encoding and of retrieve() (300 held-out questions), their ratio (which cancels the
machine's load) and the process's peak RSS. Both trees must read the same index format.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    tree = argv[0] if argv else str(REPO / "src")
    sys.path.insert(0, tree)
    import numpy as np

    from qa import Index, retrieve

    cache = REPO / "bench" / "out" / "eval"
    index = Index(seeds=cache / "seeds", index=cache / "index")
    if index.refresh():
        print("note: the index was rebuilt by this tree; run qa eval first so both trees read one index")
    data = json.loads((REPO.parent / "shared" / "data" / "squad-dev-v1.1.json").read_text())["data"]
    questions = [qa["question"] for a in data[1::2] for p in a["paragraphs"] for qa in p["qas"]][:300]
    for q in questions[:10]:  # warm: the model, the mapped files
        retrieve(q, k=5, index=index)
    encoder, enc, ret = index.query_encoder, [], []
    for q in questions:
        t = time.perf_counter()
        encoder.encode([q])
        enc.append(time.perf_counter() - t)
        t = time.perf_counter()
        retrieve(q, k=5, index=index)
        ret.append(time.perf_counter() - t)

    def p50(a: list[float]) -> float:
        return round(1000 * float(np.percentile(a, 50)), 2)

    print(json.dumps({"tree": tree, "encode p50 ms": p50(enc), "retrieve p50 ms": p50(ret),
                      "retrieve p99 ms": round(1000 * float(np.percentile(ret, 99)), 2),
                      "retrieve/encode p50": round(p50(ret) / p50(enc), 2),
                      "max RSS MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
