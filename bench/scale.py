"""Scale: a million synthetic rows into each store, in one run: insert rate, query latency (p50/p99),
recall@10 against an exact search, and memory.

The rows are clustered unit vectors (centres plus noise, as sentence embeddings cluster by topic)
in articles of 100 sentences. A query is a row plus noise. Latency is what a question costs the
store in retrieve(): a search for 50 neighbours, then the vectors of 100 candidate rows fetched
and scored here (qa/store.py), without encoding the question.

    python bench/scale.py                       # 1M rows: faiss and Milvus Lite
    python bench/scale.py --rows 100000 --stores faiss,lite,server
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from qa.ingest import Document  # noqa: E402
from qa.store import FaissStore, Spec  # noqa: E402

PER_DOC = 100


def rss_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def engine_mb() -> float:
    """Resident memory of Milvus Lite's engine processes (it runs beside this one, not inside)."""
    total = 0.0
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                exe = os.readlink(p / "exe")
            except OSError:
                continue
            if exe.endswith("/milvus_lite/lib/milvus"):
                total += rss_mb(p.name)
    return total


def corpus(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(1, n // 1000), dim)).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for at in range(0, n, 100_000):
        m = min(100_000, n - at)
        v = centres[rng.integers(0, len(centres), m)] + rng.normal(0, 0.6, (m, dim)).astype(np.float32)
        out[at:at + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def pct(xs: list[float]) -> dict:
    a = np.array(xs) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p99_ms": round(float(np.percentile(a, 99)), 2)}


def measure(store, vectors: np.ndarray, queries: np.ndarray, exact: list[set]) -> dict:
    rng = np.random.default_rng(2)
    search, both, recall = [], [], []
    for q, truth in zip(queries, exact):
        t = time.perf_counter()
        found = store.search(q, 50, None)
        search.append(time.perf_counter() - t)
        cands = np.unique(np.concatenate([found, rng.integers(0, len(vectors), 100 - min(100, len(found)))]))
        store.dense(cands, q)
        both.append(time.perf_counter() - t)
        top = found[np.argsort(-(vectors[found] @ q))[:10]]
        recall.append(len(truth & set(top.tolist())) / 10)
    return {"search": pct(search), "search + score 100 rows": pct(both), "recall@10 vs exact": round(float(np.mean(recall)), 3)}


def server(tmp: Path) -> tuple[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from milvus_lite.server import Server
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = Server(str(tmp / "server.db"), address=f"127.0.0.1:{port}")
    assert srv.start()
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return f"http://127.0.0.1:{port}", srv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--stores", default="faiss,lite")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "scale")
    args = ap.parse_args(argv)
    n, dim = args.rows - args.rows % PER_DOC, 384
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    vectors = corpus(n, dim)
    rng = np.random.default_rng(1)
    queries = vectors[rng.choice(n, args.queries, replace=False)] + rng.normal(0, 0.02, (args.queries, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = []
    for q in queries:
        s = vectors @ q
        exact.append(set(np.argpartition(-s, 10)[:10].tolist()))
    report: dict = {"rows": n, "dim": dim, "queries": args.queries}
    docs = [Document(id=f"syn{d:07d}", title="", text="", sha256=f"{d:064x}") for d in range(n // PER_DOC)]
    state = SimpleNamespace(documents=docs, doc=np.repeat(np.arange(len(docs), dtype=np.int32), PER_DOC))
    for name in args.stores.split(","):
        before = rss_mb()
        t = time.perf_counter()
        srv = None
        if name == "faiss":
            store = FaissStore.build(vectors)
        else:
            from qa.milvus import MilvusStore

            uri = str(args.out / "scale.db") if name == "lite" else None
            if uri is None:
                uri, srv = server(args.out)
            store = MilvusStore.open(Spec.parse(uri + "#scale"), "synthetic", 0, dim)
            store.bind(state)  # type: ignore[arg-type]
            store.write(range(len(docs)), (vectors[d * PER_DOC:(d + 1) * PER_DOC] for d in range(len(docs))))
            store.save(args.out)  # flush: sealed segments, their index built
            store.client.load_collection(store.collection)
        seconds = time.perf_counter() - t
        row = {"insert rows/s": round(n / seconds), "insert s": round(seconds, 1)}
        row |= measure(store, vectors, queries, exact)
        row |= {"memory MB (this process, delta)": round(rss_mb() - before), "memory MB (engine process)": round(engine_mb())}
        report[name] = row
        print(name, json.dumps(row), flush=True)
        if srv is not None:
            srv.stop()
        del store
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
