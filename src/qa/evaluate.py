"""Evaluate: the measures of sentence retrieval and abstention, for any questions with gold rows.

Generic and free of paths: ranks of the gold sentence under a ranking method (the first stage, the
second stage), MRR and recall from ranks, figures split into even (tuning) and odd (held-out)
articles, how often a group of questions is abstained on, and the index that a few articles
alone would have. The SQuAD benchmark that ``qa eval`` runs with them (loading SQuAD, the report)
is a driver in the source checkout, ``bench/squad.py``; ``driver()`` finds it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import QAError
from .retrieve import candidates, hybrid

if TYPE_CHECKING:
    from .index import Index, State

# A ranking method: (state, question, question vector, allowed rows or None) -> (rows best first, scores).
Method = Callable[["State", str, np.ndarray, Any], "tuple[np.ndarray, np.ndarray]"]


@dataclass
class Question:
    text: str
    doc: str
    article: int  # position in the data file: even ones tune, odd ones test
    gold: frozenset[int]  # rows of the pooled index that contain an answer_start
    answers: tuple[str, ...] = ()  # the answers' texts


def encode_cached(index: Index, texts: list[str], cache: Path, label: str, encoder=None) -> np.ndarray:
    """Vectors of texts, cached by content; ``encoder`` defaults to the sentence encoder. A tuned
    question encoder's cache is keyed by its weights' checksum, so retraining invalidates it."""
    from .embed import QUESTION_WEIGHTS

    salt = ""
    if encoder is not None and (QUESTION_WEIGHTS / "recipe.json").exists():
        salt = json.loads((QUESTION_WEIGHTS / "recipe.json").read_text())["sha256"]
    key = hashlib.sha256((index.settings.model + salt + "\x00" + "\x00".join(texts)).encode()).hexdigest()[:16]
    path = cache / f"{label}-{key}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    vecs = (encoder or index.embedder).encode(texts, batch_size=128, progress=True)
    np.save(path, vecs, allow_pickle=False)
    return vecs


_encode_cached = encode_cached  # the name bench/ scripts used


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


def per_article_ranks(scores: np.ndarray, qs: list[Question], state: State) -> np.ndarray:
    """Rank of the best gold row among the rows of the question's own article (every row scored)."""
    out = np.zeros(len(qs), np.int64)
    for i, q in enumerate(qs):
        rows = state.rows_of(q.doc)
        s = scores[i][rows]
        best = scores[i][list(q.gold)].max()
        out[i] = int((s > best).sum()) + 1
    return out


def split(ranks: np.ndarray, qs: list[Question]) -> dict:
    """metrics() of all the questions, of the even (tuning) articles' and of the odd (held-out) ones'."""
    odd = np.array([q.article % 2 == 1 for q in qs])
    return {"all": metrics(ranks), "even (tuning)": metrics(ranks[~odd]), "odd (held out)": metrics(ranks[odd])}


def rank_first(state: State, q: str, qvec: np.ndarray, rows) -> tuple[np.ndarray, np.ndarray]:
    """The first stage's top 100: (rows, fused scores)."""
    return hybrid(state, q, qvec, 100, rows)


def second_stage(calibration) -> Method:
    """A ranking method for ranks(): what retrieve() ranks, the first stage's best re-read by the
    second stage, then the rest of the first stage's top 100 in its order; with the confidence
    (qa/answerable.py, on an index of this calibration) of the re-read ones."""
    from .answerable import decision_for, signals
    from .rerank import SECOND_STAGE, rescore

    def rank(state: State, q: str, qvec: np.ndarray, rows) -> tuple[np.ndarray, np.ndarray]:
        sig = candidates(state, q, qvec, 100, rows)
        if not len(sig.rows):
            return sig.rows, np.zeros(0)
        r = rescore(state, q, sig, SECOND_STAGE, qvec)
        order = sig.rows[np.argsort(-sig.fused, kind="stable")[:100]]
        confidence = decision_for(state).confidence(signals(r, state, qvec), calibration)
        return np.concatenate([r.rows, order[~np.isin(order, r.rows)]]), confidence

    return rank


def ranks(state: State, items: Sequence[tuple[str, frozenset]], vecs: np.ndarray, method: Method,
          rows_of: Callable[[int], Any] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """1-based rank of the first gold row (0: not in the top 100), the top score, and ms per question
    (the question's encoding excluded: it is the same for every method and measured in bench/perf.py)."""
    out = np.zeros(len(items), np.int64)
    top = np.full(len(items), -1.0)
    t = time.perf_counter()
    for i, (q, gold) in enumerate(items):
        ids, scores = method(state, q, vecs[i], rows_of(i) if rows_of else None)
        where = np.flatnonzero(np.isin(ids, list(gold)))
        out[i] = where[0] + 1 if len(where) else 0
        top[i] = scores[0] if len(scores) else -1.0
    return out, top, 1000 * (time.perf_counter() - t) / max(1, len(items))


def dense_rank(state: State, qvec: np.ndarray, gold: frozenset) -> int:
    """Rank of the best gold row by the dense cosine alone, every row scored."""
    s = np.asarray(state.vectors) @ qvec
    return int((s > s[list(gold)].max()).sum()) + 1


def overlap(question: str, sentence: str) -> float:
    """Share of the question's content words (stems) that the sentence holds."""
    from .answer import terms

    q = set(terms(question))
    return len(q & set(terms(sentence))) / len(q) if q else 0.0


def token_f1(a: str, b: str) -> float:
    """SQuAD's token F1 of two answers (lower-cased, split on white space)."""
    x, y = a.lower().split(), b.lower().split()
    common = sum(min(x.count(w), y.count(w)) for w in set(x))
    return 0.0 if not common else 2 * common / (len(x) + len(y))


# A group of questions for abstention: (question, base-encoder vector, tuned-encoder vector).
Asked = Sequence[tuple[str, np.ndarray, np.ndarray]]


def abstention(state: State, calibration, answerable: Asked, offtopic: Asked, threshold: float) -> dict:
    """How often questions are abstained on, by one index (state, with its calibration): answerable
    ones (which should be answered) and off-topic ones (which should not); with the second stage's
    confidence against this calibration (ours), against none (no calibration), and with the first
    stage's fused score at its fixed ABSTAIN_BELOW (before)."""
    from .answer import ABSTAIN_BELOW

    row: dict = {"threshold": round(threshold, 4), "answerable": len(answerable), "off-topic": len(offtopic)}
    for label, group in (("answerable", answerable), ("off-topic", offtopic)):
        pairs: list[tuple[str, frozenset]] = [(q, frozenset()) for q, _, _ in group]
        tuned = np.array([t for *_, t in group])
        _, ours, _ = ranks(state, pairs, tuned, second_stage(calibration))
        _, uncalibrated, _ = ranks(state, pairs, tuned, second_stage(None))
        _, first, _ = ranks(state, pairs, np.array([b for _, b, _ in group]), rank_first)
        row[f"{label} abstained"] = float(np.mean(ours < threshold))
        row[f"{label} abstained (no calibration)"] = float(np.mean(uncalibrated < threshold))
        row[f"{label} abstained (before: first stage at {ABSTAIN_BELOW})"] = float(np.mean(first < ABSTAIN_BELOW))
    return row


def subset(state: State, doc_ids: list[str]) -> tuple[State, np.ndarray]:
    """The index that the given articles alone would have, made from the pooled one without encoding
    again: a sentence's vector depends only on its own article (title, speaker, text), so slicing
    the rows gives the same vectors; BM25 and FAISS are rebuilt, because IDF depends on the pool."""
    from .index import FaissStore, State, build_lexical

    pos = {d.id: i for i, d in enumerate(state.documents)}
    keep = [pos[d] for d in doc_ids]
    rows = np.concatenate([state.rows_of(state.documents[i].id) for i in keep])
    paras = np.concatenate([np.flatnonzero(state.para_doc == i) for i in keep])
    doc_map = {old: new for new, old in enumerate(keep)}
    para_map = np.full(len(state.para_doc), -1, np.int64)
    para_map[paras] = np.arange(len(paras))
    vectors = np.ascontiguousarray(np.asarray(state.vectors)[rows], dtype=np.float32)
    sub = State(documents=[state.documents[i] for i in keep],
                doc=np.array([doc_map[int(d)] for d in state.doc[rows]], np.int32),
                paragraph=state.paragraph[rows], sentence=state.sentence[rows], start=state.start[rows],
                end=state.end[rows], speaker=[state.speaker[int(r)] for r in rows], para=para_map[state.para[rows]],
                para_doc=np.array([doc_map[int(d)] for d in state.para_doc[paras]], np.int32),
                para_start=state.para_start[paras], para_end=state.para_end[paras],
                store=FaissStore.build(vectors), manifest={}, doc_centroids=state.centroids(np.array(keep)),
                e5=None if state.e5 is None else np.asarray(state.e5[rows]),
                e5_centroids=None if state.e5 is None else state.e5_articles(np.array(keep)))
    sub.lexical = build_lexical(sub)
    return sub, rows


# -- the SQuAD driver (bench/squad.py) ---------------------------------------------------------------

DRIVER = "qa_bench_squad"  # its name in sys.modules


class NoDriver(QAError):
    """qa runs from an installed copy, without the source checkout's bench/ folder."""


def checkout() -> Path | None:
    """The source checkout this package runs from (src/qa/ inside it), or None for an installed copy."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "bench" / "squad.py").is_file() and (root / "pyproject.toml").is_file() else None


def driver() -> ModuleType:
    """bench/squad.py of the source checkout, imported once; NoDriver (one line) without a checkout."""
    if DRIVER in sys.modules:
        return sys.modules[DRIVER]
    root = checkout()
    if root is None:
        raise NoDriver("qa eval needs a source checkout of article-qa (its bench/squad.py, and the SQuAD files in "
                       "../shared/data beside it): clone the repository and run qa eval from there")
    import importlib.util

    spec = importlib.util.spec_from_file_location(DRIVER, root / "bench" / "squad.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[DRIVER] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[DRIVER]
        raise
    return module


# What this module held before the driver moved out (tests and scripts import them from here); read
# from bench/squad.py when asked for. New code imports the driver itself.
_MOVED = frozenset({"DATA", "REPO", "SEEDS", "SEED_QUESTIONS", "PARAPHRASES", "ONE_ARTICLE", "FIVE_ARTICLES",
                    "write_seeds", "questions", "run", "phrase_report", "paraphrase_items", "paraphrase_report",
                    "ablation", "seed_questions", "markdown"})


def __getattr__(name: str):
    if name in _MOVED:
        return getattr(driver(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
