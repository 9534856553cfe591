"""Evaluate: ReQA-style sentence retrieval and abstention on SQuAD, through the product's own path.

The SQuAD articles are written as documents into a seeds folder and indexed by ``Index`` exactly
as a user's articles are, so the figures are what a user gets. Baselines run in the same process
on the same sentences. Nothing here trains on the dev set: weights and the threshold were chosen
on the even-numbered articles, and figures are reported for the odd ones as well as for all.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .answer import ABSTAIN_BELOW
from .index import Index
from .lexical import Lexical
from .retrieve import fuse, hybrid

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
SEEDS = REPO / "seeds"
SEED_QUESTIONS = REPO / "bench" / "seed_questions.json"


@dataclass
class Question:
    text: str
    doc: str
    article: int  # position in the data file: even ones tune, odd ones test
    gold: frozenset[int]  # rows of the pooled index that contain an answer_start


def write_seeds(data_file: Path, folder: Path) -> list[dict]:
    """One .txt article per SQuAD title: a ``title:`` line, then one paragraph per line."""
    articles = json.loads(data_file.read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True, exist_ok=True)
    for n, art in enumerate(articles):
        body = "\n".join(p["context"].replace("\n", " ") for p in art["paragraphs"])
        path = folder / f"{n:02d}_{art['title']}.txt"
        text = f"title: {art['title'].replace('_', ' ')}\n{body}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return articles


def questions(articles: list[dict], index: Index, answerable: bool = True) -> list[Question]:
    """The questions, each with the pooled rows of its gold sentences (empty for impossible ones)."""
    state = index.state
    by_id = {d.id: d for d in state.documents}
    out = []
    for n, art in enumerate(articles):
        doc_id = f"{n:02d}_{art['title']}"
        doc = by_id[doc_id]
        rows = state.rows_of(doc_id)
        starts, ends = state.start[rows], state.end[rows]
        offset = doc.body_start
        for p in art["paragraphs"]:
            for qa in p["qas"]:
                if qa.get("is_impossible", False) == answerable:
                    continue
                gold = set()
                for a in qa["answers"]:
                    at = offset + a["answer_start"]
                    hit = np.flatnonzero((starts <= at) & (at < ends))
                    if not len(hit):  # the answer starts in the space between two sentences
                        hit = np.flatnonzero(starts > at)[:1]
                    gold.update(int(rows[h]) for h in hit)
                out.append(Question(qa["question"], doc_id, n, frozenset(gold)))
            offset += len(p["context"]) + 1
    return out


def _encode_cached(index: Index, texts: list[str], cache: Path, label: str) -> np.ndarray:
    key = hashlib.sha256((index.settings.model + "\x00" + "\x00".join(texts)).encode()).hexdigest()[:16]
    path = cache / f"{label}-{key}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    vecs = index.embedder.encode(texts, batch_size=128, progress=True)
    np.save(path, vecs, allow_pickle=False)
    return vecs


def metrics(ranks: np.ndarray) -> dict:
    """MRR and recall at 1/5/10 from 1-based ranks (0 means not retrieved)."""
    rr = np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0)
    return {"mrr": float(rr.mean()), **{f"r@{k}": float(((ranks > 0) & (ranks <= k)).mean()) for k in (1, 5, 10)},
            "n": int(len(ranks))}


def full_ranks(scores: np.ndarray, qs: list[Question]) -> np.ndarray:
    """Rank of the best gold row when every row is scored (no cutoff)."""
    out = np.zeros(len(qs), np.int64)
    for i, q in enumerate(qs):
        s = scores[i]
        best = s[list(q.gold)].max()
        out[i] = int((s > best).sum()) + 1
    return out


def split(ranks: np.ndarray, qs: list[Question]) -> dict:
    odd = np.array([q.article % 2 == 1 for q in qs])
    return {"all": metrics(ranks), "even (tuning)": metrics(ranks[~odd]), "odd (held out)": metrics(ranks[odd])}


def run(cache: Path, data: Path = DATA, progress=print) -> dict:
    """The whole evaluation; returns the report (also written to cache/report.json and report.md)."""
    t0 = time.perf_counter()
    cache.mkdir(parents=True, exist_ok=True)
    articles = write_seeds(data / "squad-dev-v1.1.json", cache / "seeds")
    index = Index(seeds=cache / "seeds", index=cache / "index")
    progress("indexing SQuAD v1.1 dev through the product's ingest path (cached after the first run)")
    index.refresh(progress=True)
    state = index.state
    qs = [q for q in questions(articles, index) if q.gold]
    progress(f"{len(state):,} sentences, {len(qs):,} questions; encoding questions")
    qvecs = _encode_cached(index, [q.text for q in qs], cache, "questions")
    report: dict = {"sentences": len(state), "questions": len(qs), "articles": len(state.documents)}

    progress("baselines: BM25 (bm25s) and MiniLM on the sentence alone, every row scored")
    texts = state.texts()
    t = time.perf_counter()
    bm25 = Lexical.build(texts)
    plain_bm25 = np.stack([bm25.scores(q.text)[0] for q in qs])
    report["bm25"] = split(full_ranks(plain_bm25, qs), qs) | {"seconds": round(time.perf_counter() - t, 1)}
    svecs = _encode_cached(index, texts, cache, "sentences")
    t = time.perf_counter()
    plain_dense = qvecs @ svecs.T
    report["minilm sentence"] = split(full_ranks(plain_dense, qs), qs) | {"seconds": round(time.perf_counter() - t, 1)}
    report["ablation"] = ablation(state, qs, qvecs, plain_dense, plain_bm25, progress)
    del plain_dense, plain_bm25

    def ours(restrict: bool) -> tuple[np.ndarray, np.ndarray]:
        ranks = np.zeros(len(qs), np.int64)
        top = np.zeros(len(qs), np.float32)
        for i, q in enumerate(qs):
            rows = state.rows_of(q.doc) if restrict else None
            ids, scores = hybrid(state, q.text, qvecs[i], 100, rows)
            where = np.flatnonzero(np.isin(ids, list(q.gold)))
            ranks[i] = where[0] + 1 if len(where) else 0
            top[i] = scores[0] if len(scores) else -1
        return ranks, top

    progress("ours, pooled: the production retriever, top 100")
    t = time.perf_counter()
    pooled, _ = ours(False)
    report["ours (pooled)"] = split(pooled, qs) | {"seconds": round(time.perf_counter() - t, 1)}
    progress("per article: each question searched only in its own article")
    per_article, answerable_top = ours(True)
    report["ours (per article)"] = split(per_article, qs)
    report["minilm sentence (per article)"] = split(_per_article_ranks(qvecs @ svecs.T, qs, state), qs)
    report["bm25 (per article)"] = split(_per_article_ranks(np.stack([bm25.scores(q.text)[0] for q in qs]), qs, state), qs)

    report["abstention"] = abstention(index, articles, qs, qvecs, answerable_top, cache, data, progress)
    report["seed questions"] = seed_questions(cache)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    (cache / "report.json").write_text(json.dumps(report, indent=1))
    (cache / "report.md").write_text(markdown(report))
    return report


def ablation(state, qs: list[Question], qvecs: np.ndarray, plain_dense: np.ndarray, plain_bm25: np.ndarray,
             progress) -> dict:
    """Each signal's share of the fused score, every row scored (pooled), with the production formula."""
    progress("ablation: the fused score built up one signal at a time")
    sent_lex, para_lex = state.lexical
    dense = qvecs @ np.asarray(state.vectors).T
    ctx_bm25 = np.stack([sent_lex.scores(q.text)[0] for q in qs])
    para_bm25 = np.stack([para_lex.scores(q.text)[0] for q in qs])[:, state.para]
    zero = np.zeros_like(dense)
    variants = {
        "dense, sentence read with title and speaker": dense,
        "+ BM25 of the sentence": fuse(dense, ctx_bm25, zero),
        "+ BM25 of its paragraph (ours)": fuse(dense, ctx_bm25, para_bm25),
        "ours without title and speaker context": fuse(plain_dense, plain_bm25, para_bm25),
    }
    return {name: split(full_ranks(m, qs), qs)["all"] for name, m in variants.items()}


def _per_article_ranks(scores: np.ndarray, qs: list[Question], state) -> np.ndarray:
    out = np.zeros(len(qs), np.int64)
    for i, q in enumerate(qs):
        rows = state.rows_of(q.doc)
        s = scores[i][rows]
        best = scores[i][list(q.gold)].max()
        out[i] = int((s > best).sum()) + 1
    return out


def abstention(index, articles, qs, qvecs, answerable_top, cache, data, progress) -> dict:
    """Off-topic, answerable and impossible questions at the threshold answer() uses, and the curve."""
    seed_index = Index(seeds=SEEDS, index=cache / "seed-index")
    seed_index.refresh()
    progress("abstention (a): every SQuAD question against the seed article")
    off_topic = np.array([hybrid(seed_index.state, q.text, qvecs[i], 1, None)[1][0] for i, q in enumerate(qs)])
    progress("abstention (c): SQuAD v2.0 impossible questions against their own article")
    v2 = json.loads((data / "squad-dev-v2.0-derived.json").read_text(encoding="utf-8"))["data"]
    by_title = {f"{n:02d}_{a['title']}": a for n, a in enumerate(articles)}
    doc_of = {a["title"]: d for d, a in by_title.items()}
    impossible = [(qa["question"], doc_of[a["title"]]) for a in v2 for p in a["paragraphs"] for qa in p["qas"]
                  if qa.get("is_impossible")]
    ivecs = _encode_cached(index, [q for q, _ in impossible], cache, "impossible")
    state = index.state
    impossible_top = np.array([hybrid(state, q, ivecs[i], 1, state.rows_of(d))[1][0] for i, (q, d) in enumerate(impossible)])
    odd = np.array([q.article % 2 == 1 for q in qs])
    t = ABSTAIN_BELOW
    curve = []
    for th in np.round(np.arange(0.2, 1.01, 0.05), 2):
        curve.append({"threshold": float(th), "off-topic abstained": float((off_topic < th).mean()),
                      "answerable abstained": float((answerable_top < th).mean()),
                      "impossible abstained": float((impossible_top < th).mean())})
    return {
        "threshold": t,
        "off-topic abstained": float((off_topic < t).mean()),
        "off-topic abstained (odd)": float((off_topic[odd] < t).mean()),
        "answerable wrongly abstained": float((answerable_top < t).mean()),
        "answerable wrongly abstained (odd)": float((answerable_top[odd] < t).mean()),
        "impossible (v2.0) abstained": float((impossible_top < t).mean()),
        "impossible questions": len(impossible),
        "curve": curve,
        "suggested threshold (even articles)": suggest(off_topic[~odd]),
    }


def seed_questions(cache: Path) -> dict:
    """Questions written by hand about the seed article, each with the sentence that answers it."""
    from .retrieve import retrieve

    index = Index(seeds=SEEDS, index=cache / "seed-index")
    pairs = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))
    first = top3 = answered = 0
    for q, gold in pairs:
        hits = retrieve(q, k=3, index=index)
        first += hits[0].sentence == gold
        top3 += gold in [h.sentence for h in hits]
        answered += hits[0].score >= ABSTAIN_BELOW
    n = len(pairs)
    return {"questions": n, "first": first / n, "top 3": top3 / n, "answered (not abstained)": answered / n}


def suggest(off_topic: np.ndarray) -> float:
    """The lowest threshold that abstains on 99.5% of off-topic questions: every answerable question
    above it is answered, and the margin over the 99% bar absorbs the spread between article sets."""
    return round(float(np.ceil(np.quantile(off_topic, 0.995) * 100) / 100), 2)


def markdown(report: dict) -> str:
    lines = [f"ReQA, SQuAD v1.1 dev: {report['sentences']:,} sentences, {report['questions']:,} questions, "
             f"{report['articles']} articles.", "",
             "| retriever | MRR | R@1 | R@5 | R@10 | MRR odd (held out) |", "|---|---|---|---|---|---|"]
    for name in ("bm25", "minilm sentence", "ours (pooled)", "bm25 (per article)", "minilm sentence (per article)",
                 "ours (per article)"):
        m, o = report[name]["all"], report[name]["odd (held out)"]
        lines.append(f"| {name} | {m['mrr']:.3f} | {m['r@1']:.3f} | {m['r@5']:.3f} | {m['r@10']:.3f} | {o['mrr']:.3f} |")
    lines += ["", "Ablation, pooled, every row scored with the production formula:", "",
              "| variant | MRR | R@1 | R@10 |", "|---|---|---|---|"]
    for name, m in report["ablation"].items():
        lines.append(f"| {name} | {m['mrr']:.3f} | {m['r@1']:.3f} | {m['r@10']:.3f} |")
    a = report["abstention"]
    lines += ["", f"Abstention at threshold {a['threshold']}:", "",
              "| questions | abstained |", "|---|---|",
              f"| off-topic (SQuAD questions asked of the seed article) | {a['off-topic abstained']:.1%} |",
              f"| answerable (SQuAD, own article) — wrongly | {a['answerable wrongly abstained']:.1%} |",
              f"| impossible (SQuAD v2.0, own article) | {a['impossible (v2.0) abstained']:.1%} |", "",
              f"Off-topic abstained on the odd (held-out) articles' questions: {a['off-topic abstained (odd)']:.1%}; "
              f"answerable wrongly abstained there: {a['answerable wrongly abstained (odd)']:.1%}. "
              f"Threshold suggested by the even-numbered articles: {a['suggested threshold (even articles)']}.", "",
              "The trade-off (share abstained at each threshold):", "",
              "| threshold | off-topic | answerable | impossible (v2.0) |", "|---|---|---|---|",
              *[f"| {c['threshold']:.2f} | {c['off-topic abstained']:.1%} | {c['answerable abstained']:.1%} | "
                f"{c['impossible abstained']:.1%} |" for c in a["curve"][::2]], "",
              "Hand-written questions about the seed article ({questions}): answering sentence first {first:.0%}, "
              "in the top 3 {top 3:.0%}, answered {answered (not abstained):.0%}.".format(**report["seed questions"]), "",
              f"Took {report['seconds']:.0f} s."]
    return "\n".join(lines) + "\n"
