"""Performance: query latency at three corpus sizes, index build throughput, cold start.

    python bench/perf.py [--quick]        # table on stdout, JSON in bench/out/perf.json

Every figure is paired with a floor measured in the same process (encoding the question alone, a
bare FAISS search, bare ``model.encode``), because these machines are noisy and a ratio is what
holds. What is real and what is synthetic is said next to each row.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

from qa import Index, ingest, retrieve  # noqa: E402
from squad import DATA, write_seeds  # noqa: E402  (bench/squad.py)
from qa.generation import RowFile  # noqa: E402
from qa.index import FORMAT, FaissStore, State, build_lexical, load_generation, save_generation  # noqa: E402


def pct(xs: list[float]) -> dict:
    ms = np.array(xs) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2)}


def timed(fn, items) -> list[float]:
    out = []
    for x in items:
        t = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - t)
    return out


def squad_questions(n: int) -> list[str]:
    data = json.loads((DATA / "squad-dev-v1.1.json").read_text())["data"]
    qs = [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]]
    return qs[:: max(1, len(qs) // n)][:n]


def latency(name: str, index: Index, questions: list[str], real: str) -> dict:
    """retrieve() against its floors, interleaved so that machine noise hits all three alike."""
    from qa import e5

    emb = index.query_encoder
    state = index.state
    for q in questions[:5]:
        retrieve(q, k=5, index=index)
    enc, bare, full, first = [], [], [], []
    for q in questions:
        t = time.perf_counter()
        v = emb.encode([q])
        enc.append(time.perf_counter() - t)
        t = time.perf_counter()
        state.store.index.search(v, 10)
        bare.append(time.perf_counter() - t)
        e5.clear_cache()  # a new question each time: the earlier corpora asked these same ones
        t = time.perf_counter()
        retrieve(q, k=5, index=index)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        retrieve(q, k=5, index=index, rerank=False)
        first.append(time.perf_counter() - t)
    row = {"corpus": name, "sentences": len(state), "real": real, "encode question": pct(enc),
           "bare faiss search": pct(bare), "retrieve()": pct(full), "retrieve(rerank=False)": pct(first)}
    row["ratio p50 retrieve/encode"] = round(row["retrieve()"]["p50_ms"] / row["encode question"]["p50_ms"], 2)
    row["ratio p50 first stage/encode"] = round(row["retrieve(rerank=False)"]["p50_ms"] / row["encode question"]["p50_ms"], 2)
    return row


def squad_index(work: Path) -> Index:
    """The pooled SQuAD dev index; reuses `qa eval`'s cache when it is there."""
    cache = OUT / "eval"
    write_seeds(DATA / "squad-dev-v1.1.json", cache / "seeds")
    index = Index(seeds=cache / "seeds", index=cache / "index")
    index.refresh(progress=True)
    return index


def synthetic(index: Index, n: int, work: Path) -> tuple[Index, dict]:
    """n sentences: real SQuAD sentence vectors with noise (so neighbours are near but distinct) and
    their real texts, in articles of 100 sentences, written as a real generation under ``work`` and
    loaded back from it, so that what is timed and weighed is what a server holds."""
    src = index.state
    base = np.asarray(src.vectors, dtype=np.float32)
    rng = np.random.default_rng(0)
    vec_path = work / "vectors.npy"
    mm = np.lib.format.open_memmap(vec_path, mode="w+", dtype=np.float32, shape=(n, base.shape[1]))
    for at in range(0, n, 100_000):
        m = min(100_000, n - at)
        v = base[np.arange(at, at + m) % len(base)] + rng.normal(0, 0.03, (m, base.shape[1])).astype(np.float32)
        mm[at:at + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    mm.flush()
    del mm
    vectors = np.load(vec_path, mmap_mode="r")
    t = time.perf_counter()
    fi = FaissStore.build(vectors)
    build_s = time.perf_counter() - t
    texts = src.texts()
    per_doc, per_para = 100, 5
    docs, doc, para, start, end, pstart, pend, pdoc = [], [], [], [], [], [], [], []
    for d in range(n // per_doc):
        sents = [texts[(d * per_doc + i) % len(texts)] for i in range(per_doc)]
        pos, parts = 0, []
        for i, s in enumerate(sents):
            if i % per_para == 0 and i:
                parts.append("\n")
                pos += 1
            elif i:
                parts.append(" ")
                pos += 1
            if i % per_para == 0:
                pstart.append(pos)
                pdoc.append(d)
            start.append(pos)
            parts.append(s)
            pos += len(s)
            end.append(pos)
            doc.append(d)
            para.append(len(pstart) - 1)
            if i % per_para == per_para - 1 or i == per_doc - 1:
                pend.append(pos)
        docs.append(ingest.Document(id=f"syn{d:06d}", title=f"syn{d:06d}", text="".join(parts), sha256=""))
    state = State(documents=docs, doc=np.array(doc, np.int32), paragraph=(np.array(para) % 20 + 1).astype(np.int32),
                  sentence=np.tile(np.arange(per_doc, dtype=np.int32), n // per_doc), start=np.array(start, np.int64),
                  end=np.array(end, np.int64), speaker=[None] * n, para=np.array(para, np.int64),
                  para_doc=np.array(pdoc, np.int32), para_start=np.array(pstart, np.int64),
                  para_end=np.array(pend, np.int64), store=fi,
                  manifest={"format": FORMAT, "model": index.settings.model, "dim": int(base.shape[1]), "count": n})
    means = np.asarray(vectors, np.float32).reshape(n // per_doc, per_doc, -1).mean(1)  # as a build saves them
    state.doc_centroids = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)
    if src.e5 is not None:  # the second stage's e5 vectors (qa/e5.py), as a build saves them: fp16, memory-mapped
        e5_path = work / "e5-synthetic.npy"
        e5 = np.lib.format.open_memmap(e5_path, mode="w+", dtype=np.float16, shape=(n, src.e5.shape[1]))
        e5_base = np.asarray(src.e5, np.float32)
        for at in range(0, n, 100_000):
            m = min(100_000, n - at)
            v = e5_base[np.arange(at, at + m) % len(e5_base)] + rng.normal(0, 0.03, (m, e5_base.shape[1])).astype(np.float32)
            e5[at:at + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
        e5.flush()
        state.e5 = RowFile(e5_path)
    t = time.perf_counter()
    state.lexical = build_lexical(state)
    bm25_s = time.perf_counter() - t
    root = work / "synthetic-index"
    generation = save_generation(root, state)
    del state, docs, vectors, fi
    vec_path.unlink()
    (work / "e5-synthetic.npy").unlink(missing_ok=True)
    memory = served_memory(generation, squad_questions(300))
    syn = Index(seeds=work / "none", index=root)
    syn._state = load_generation(generation)  # not refresh(): there are no seed files behind it
    info = {"faiss index": type(syn._state.store.index).__name__, "nprobe": getattr(syn._state.store.index, "nprobe", None),
            "faiss build s": round(build_s, 1), "bm25 build s": round(bm25_s, 1),
            "faiss index MB": round((generation / "faiss.index").stat().st_size / 1e6, 1)} | memory
    return syn, info


SERVED = r"""
import json, sys, time
from pathlib import Path
import bm25s, faiss, Stemmer  # libraries are not the index: loaded before the first reading
from qa import Index, retrieve
from qa.index import load_generation

def rss(kind):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith(kind + ":"))

gen = Path(sys.argv[1])
questions = json.loads(sys.stdin.read())
ix = Index(seeds=gen / "none", index=gen.parent)
ix.query_encoder.encode(["warm up"])
before = {k: rss(k) for k in ("RssAnon", "RssFile", "VmRSS")}
t = time.perf_counter()
ix._state = load_generation(gen)
load_s = time.perf_counter() - t
retrieve(questions[0], index=ix)
first_s = time.perf_counter() - t
for q in questions:
    retrieve(q, index=ix)
print(json.dumps({"load s": round(load_s, 1), "first s": round(first_s, 1), "anon": rss("RssAnon") - before["RssAnon"],
                  "total": rss("VmRSS") - before["VmRSS"],
                  "file": rss("RssFile") - before["RssFile"], "peak": rss("VmHWM"), "questions": len(questions)}))
"""


def served_memory(generation: Path, questions: list[str]) -> dict:
    """Resident memory a fresh process adds by loading the index and answering questions from it,
    beyond the process with its model loaded, all of it: anonymous (the index's own memory) and the
    pages of mapped files it has touched (the vectors file, were anything to read it)."""
    out = subprocess.run([sys.executable, "-c", SERVED, str(generation)], input=json.dumps(questions), check=True,
                         capture_output=True, text=True)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    return {"index load s": m["load s"], "load to first answer s": m["first s"], "served index resident MB": round(m["total"], 1),
            "of which anonymous MB": round(m["anon"], 1), "of which file pages MB": round(m["file"], 1),
            "questions answered": m["questions"],
            "server peak RSS MB": round(m["peak"], 1)}


def recall_at_10(index: Index, syn: Index) -> float:
    """Recall@10 of the dense side of retrieval against exact search, on real question vectors: the
    approximate index's candidates, ranked by the scores hybrid() gives them, against a full scan."""
    from qa.retrieve import CANDIDATES, search

    state = syn.state
    n = len(state)
    recall = []
    for q in index.query_encoder.encode(squad_questions(200)):
        s = np.empty(n, np.float32)
        for at in range(0, n, 200_000):
            s[at:at + 200_000] = np.asarray(state.vectors[at:at + 200_000]) @ q
        exact = np.argpartition(-s, 10)[:10]
        found = search(state, q, CANDIDATES, None)
        found = found[np.argsort(-state.dense(found, q))[:10]]
        recall.append(len(set(found) & set(exact)) / 10)
    return round(float(np.mean(recall)), 3)


def build_throughput(index: Index, work: Path) -> dict:
    """End to end from files (ingest, segment, attribute, encode, FAISS, atomic write) against bare encode."""
    seeds = OUT / "eval" / "seeds"
    # Before e5 (qa/e5.py): the same build with QA_E5=off, in this process, for the ratio.
    os.environ["QA_E5"] = "off"
    try:
        t = time.perf_counter()
        Index(seeds=seeds, index=work / "build-index-no-e5").refresh()
        plain_s = time.perf_counter() - t
    finally:
        del os.environ["QA_E5"]
    fresh = Index(seeds=seeds, index=work / "build-index")
    t = time.perf_counter()
    fresh.refresh()
    build_s = time.perf_counter() - t
    n = len(fresh.state)
    texts = fresh.state.contexts()
    t = time.perf_counter()
    index.embedder.encode(texts)
    bare_s = time.perf_counter() - t
    # Re-index after one article changes: only that article is encoded again.
    victim = sorted(seeds.glob("*.txt"))[0]
    copy = work / "seeds-copy"
    shutil.copytree(seeds, copy)
    again = Index(seeds=copy, index=work / "build-index")
    (copy / victim.name).write_text(victim.read_text() + "\nA sentence added to one article.\n")
    t = time.perf_counter()
    again.refresh()
    change_s = time.perf_counter() - t
    m = json.loads((again.state.generation / "manifest.json").read_text())
    peak = peak_build_mb(seeds, work / "peak-index")
    return {"sentences": n, "build sentences/s": round(n / build_s, 1), "bare encode sentences/s": round(n / bare_s, 1),
            "ratio build/bare": round(bare_s / build_s, 3), "build sentences/s with QA_E5=off": round(n / plain_s, 1),
            "ratio build/bare with QA_E5=off": round(bare_s / plain_s, 3), "peak RSS MB (build in a fresh process)": peak,
            "one article changed: sentences re-encoded": m["encoded"],
            "one article changed: of": len(again.state.rows_of(victim.stem)), "one article changed: seconds": round(change_s, 1)}


def peak_build_mb(seeds: Path, index: Path) -> float:
    """Peak RSS of a build, read by the building process itself from VmHWM: getrusage's ru_maxrss
    would carry over the RSS of this large process, which the child had when it was spawned."""
    code = (f"from qa import Index; Index(seeds={str(seeds)!r}, index={str(index)!r}).refresh(); "
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return round(int(out.stdout.split()[-1]) / 1024, 1)


PHASES = r"""
import time, sys
t0 = time.perf_counter()
from qa import Index, answer
t1 = time.perf_counter()
ix = Index(); ix.refresh()
t2 = time.perf_counter()
ix.query_encoder
t3 = time.perf_counter()
res = answer("Which regiment did Zelensky commend?", index=ix)
t4 = time.perf_counter()
print(f"{t1-t0:.3f} {t2-t1:.3f} {t3-t2:.3f} {t4-t3:.3f}")
"""


def cold_start(work: Path, runs: int = 3) -> dict:
    """Process start to the first answer, for `qa ask` and for the server, on the seed article."""
    from live_server import start_server, stop_server  # bench/live_server.py, beside this script

    env = dict(os.environ, QA_SEEDS=str(ROOT / "seeds"), QA_INDEX=str(work / "seed-index"))
    subprocess.run([sys.executable, "-m", "qa.cli", "index"], env=env, check=True, capture_output=True)
    ask, phases = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qa.cli", "ask", "Which regiment did Zelensky commend?"], env=env,
                       check=True, capture_output=True)
        ask.append(time.perf_counter() - t)
        out = subprocess.run([sys.executable, "-c", PHASES], env=env, check=True, capture_output=True, text=True)
        phases.append([float(x) for x in out.stdout.split()])
    t = time.perf_counter()
    proc, url = start_server(ROOT / "seeds", work / "seed-index")
    ready = time.perf_counter() - t
    from gradio_client import Client

    Client(url, verbose=False).predict("Which regiment did Zelensky commend?", 3, None, api_name="/retrieve")
    first = time.perf_counter() - t
    stop_server(proc)
    p = np.median(np.array(phases), axis=0)
    return {"qa ask, process start to answer (median s)": round(float(np.median(ask)), 2),
            "where: import qa": round(float(p[0]), 2), "where: load index": round(float(p[1]), 2),
            "where: load question encoder (numpy, weights)": round(float(p[2]), 2),
            "where: first answer (encode, search)": round(float(p[3]), 2),
            "server: start to ready (s)": round(ready, 2), "server: start to first API answer (s)": round(first, 2)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100k synthetic sentences instead of 1M, 100 questions")
    ap.add_argument("--size", type=int, default=None, help="synthetic corpus size (default 1,000,000)")
    args = ap.parse_args(argv)
    n_q = 100 if args.quick else 300
    size = args.size or (100_000 if args.quick else 1_000_000)
    work = Path(tempfile.mkdtemp(prefix="qa-perf-"))
    report: dict = {}
    try:
        questions = squad_questions(n_q)
        seed = Index(seeds=ROOT / "seeds", index=work / "seed-index")
        seed.refresh()
        squad = squad_index(work)
        report["latency"] = [latency("seed article", seed, questions, "real article, real questions (SQuAD)"),
                             latency("SQuAD v1.1 dev, pooled", squad, questions, "real")]
        syn, info = synthetic(squad, size, work)
        row = latency(f"synthetic {size:,}", syn, questions,
                      "real question vectors; sentence vectors = real ones + noise; texts repeat SQuAD's") | info
        row["recall@10 vs exact"] = recall_at_10(squad, syn)
        report["latency"].append(row)
        del syn
        report["build"] = build_throughput(squad, work)
        report["cold start"] = cold_start(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "perf.json").write_text(json.dumps(report, indent=1))
    print(table(report))
    return report


def table(r: dict) -> str:
    lines = ["| corpus | sentences | encode p50 | bare FAISS p50 | retrieve() p50 / p99 | retrieve/encode | "
             "first stage alone p50 | first stage/encode |", "|---|---|---|---|---|---|---|---|"]
    for row in r["latency"]:
        lines.append(f"| {row['corpus']} | {row['sentences']:,} | {row['encode question']['p50_ms']} ms | "
                     f"{row['bare faiss search']['p50_ms']} ms | {row['retrieve()']['p50_ms']} / {row['retrieve()']['p99_ms']} ms | "
                     f"{row['ratio p50 retrieve/encode']}x | {row['retrieve(rerank=False)']['p50_ms']} ms | "
                     f"{row['ratio p50 first stage/encode']}x |")
    syn = r["latency"][-1]
    lines += ["", f"Synthetic corpus, served from disk: {syn['faiss index']} (nprobe {syn['nprobe']}), recall@10 vs exact "
              f"{syn['recall@10 vs exact']}, FAISS index {syn['faiss index MB']} MB; a fresh process that loads it and "
              f"answers {syn['questions answered']} questions grows by {syn['served index resident MB']} MB resident "
              f"({syn['of which anonymous MB']} MB its own memory, {syn['of which file pages MB']} MB pages of mapped "
              f"files); peak RSS of that process {syn['server peak RSS MB']} MB; load {syn['index load s']} s, first answer {syn['load to first answer s']} s after the load began. Built "
              f"once when indexing, not on load: FAISS {syn['faiss build s']} s, BM25 {syn['bm25 build s']} s.", ""]
    lines += ["| build | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in r["build"].items()]
    lines += ["", "| cold start | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in r["cold start"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
