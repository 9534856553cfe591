"""Rerank: the second stage, which re-reads the first stage's best candidates with more evidence.

The first stage adds saturated BM25 to the dense cosine with fixed weights, so on a question that
shares no content word with its answer, one shared word in some other sentence ("papal visit" ->
"led the papal army") outweighs the whole spread of the dense score: on hand-written paraphrases
of the odd SQuAD articles it put the right sentence first for 14% (0% of those sharing no word
with it), where the dense score alone did for 37%. The second stage scores each candidate with a
logistic rule over features that say *how much of the question* the lexical match explains
(IDF-weighted coverage of the question's terms, in the sentence and in its paragraph), the dense
score relative to the best candidate's, and whether the sentence holds the kind of thing the
question asks for (a date for "when", a number for "how many", a name for "who"): 32% (9%) on
those paraphrases, and MRR 0.830 -> 0.836 on pooled SQuAD (qa eval). The rule is fitted by
``bench/fusion.py`` on the even-numbered SQuAD dev articles' questions and the hand-written
even-article paraphrases; its weights ship as ``qa/models/second-stage.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .index import State
from .retrieve import Signals, _saturate

WEIGHTS = Path(__file__).resolve().parent / "models" / "second-stage.json"
# Rows re-read per question: the first stage's top 10 already holds the answer for 95% of SQuAD
# questions (qa eval, R@10).
SECOND_STAGE = 30

FEATURES = ("dense", "dense_rel", "dense_rank", "dense_neighbour", "bm25", "para_bm25", "coverage", "para_coverage",
            "bm25_x_coverage", "para_x_coverage", "dense_x_uncovered", "type_match", "log_length", "fused", "fused_rel",
            "fused_rel_x_best_coverage", "dense_rel_x_best_uncovered")
E5_FEATURES = ("e5", "e5_rel", "e5_rank")  # added when the index holds e5 vectors (qa/e5.py)
DENSE_KEPT = 10  # the best candidates by the dense score alone are always re-read, whatever BM25 says

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
                    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|"
                    r"Saturday|Sunday|yesterday|today|tomorrow|century|decade|week|month|year)\b", re.I)
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                     r"forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_PLACE = re.compile(r"\b(in|at|near|from|to|across|outside|inside)\s+(the\s+)?[A-Z][a-z]+")


def question_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\b(when|(what|which) (year|date|day|month|decade|century|time)|how long ago|since when)\b", q):
        return "when"
    if re.search(r"\b(how many|how much|what number|what percentage|what percent|how far|how long|how old|how big"
                 r"|how large)\b", q):
        return "number"
    if re.search(r"\b(who|whom|whose|which person|what person)\b", q):
        return "who"
    if re.search(r"\b(where|which city|which country|what city|what country|what region|which region|what place)\b", q):
        return "where"
    return "other"


def type_match(qtype: str, sentence: str) -> float:
    """1 when the sentence holds the kind of thing the question asks for; 0 otherwise or when the
    question asks for no particular kind."""
    if qtype == "when":
        return float(bool(_YEAR.search(sentence) or _MONTH.search(sentence)))
    if qtype == "number":
        return float(bool(_NUMBER.search(sentence)))
    if qtype == "who":
        return float(bool(_NAME.search(sentence)))
    if qtype == "where":
        return float(bool(_PLACE.search(sentence)))
    return 0.0


def _idf(n: int, df: np.ndarray) -> np.ndarray:
    return np.log1p((n - df + 0.5) / (df + 0.5))


def coverage(state: State, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
    """IDF-weighted share of the question's terms that each candidate sentence, and its paragraph,
    holds. Terms no article holds count as unmatched: a question about a word the articles never
    use is not explained by any of them."""
    sent_lex, para_lex = state.bm25
    n_rows, n_paras = len(sent_lex), len(para_lex)
    vocab = sent_lex.model.vocab_dict
    unknown = sum(1 for w in sig.words if w not in vocab)
    cand_paras = state.para[sig.rows]
    total = unknown * float(_idf(n_rows, np.array([0.0]))[0])
    cov = np.zeros(len(sig.rows))
    for p in sig.postings:
        w = float(_idf(n_rows, np.array([float(len(p.rows))]))[0])
        total += w
        cov += w * np.isin(sig.rows, p.rows)
    para_total = unknown * float(_idf(n_paras, np.array([0.0]))[0])
    para_cov = np.zeros(len(sig.rows))
    for p in sig.para_postings:
        w = float(_idf(n_paras, np.array([float(len(p.rows))]))[0])
        para_total += w
        para_cov += w * np.isin(cand_paras, p.rows)
    return (cov / total if total else cov), (para_cov / para_total if para_total else para_cov)


def neighbour_dense(state: State, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
    """The best dense score of the sentence before or after each row in its paragraph: an answer
    sentence often leans on its neighbour for the subject ("It was built in 1899")."""
    n = len(state)
    prev = np.clip(rows - 1, 0, n - 1)
    nxt = np.clip(rows + 1, 0, n - 1)
    both = np.unique(np.concatenate([prev, nxt]))
    score = dict(zip(both.tolist(), state.dense(both, qvec).tolist()))
    same = state.para[rows]
    out = np.full(len(rows), -1.0)
    for i, (p, q) in enumerate(zip(prev.tolist(), nxt.tolist())):
        for r in (p, q):
            if r != rows[i] and state.para[r] == same[i]:
                out[i] = max(out[i], score[r])
    return np.where(out < -0.5, 0.0, out)


def features(state: State, question: str, sig: Signals, qvec: np.ndarray) -> np.ndarray:
    """One row of FEATURES per candidate, then E5_FEATURES when the index holds e5 vectors."""
    cov, para_cov = coverage(state, sig)
    b, pb = _saturate(sig.bm25), _saturate(sig.para_bm25)
    qtype = question_type(question)
    docs: dict[int, str] = {}  # each document decoded once, not once per candidate
    texts = []
    for d, start, end in zip(state.doc[sig.rows].tolist(), state.start[sig.rows].tolist(), state.end[sig.rows].tolist()):
        if d not in docs:
            docs[d] = state.documents[d].text
        texts.append(docs[d][start:end])
    typed = np.array([type_match(qtype, t) for t in texts])
    length = np.log1p([len(t) for t in texts])
    dense = sig.dense.astype(np.float64)
    rel = dense - (dense.max() if len(dense) else 0.0)
    rank = np.log1p(np.argsort(np.argsort(-dense, kind="stable"), kind="stable"))
    near = neighbour_dense(state, sig.rows, qvec)
    fused = sig.fused.astype(np.float64)
    fused_rel = fused - (fused.max() if len(fused) else 0.0)
    best = float(cov.max()) if len(cov) else 0.0  # how much of the question any candidate explains: gates BM25
    x = np.column_stack([dense, rel, rank, near, b, pb, cov, para_cov, b * cov, pb * para_cov, dense * (1 - cov),
                         typed, length, fused, fused_rel, fused_rel * best, rel * (1 - best)])
    if state.e5 is None:
        return x
    from . import e5

    read = np.asarray(state.e5[np.sort(sig.rows)], np.float32) @ e5.query(question)  # rows in order: runs read at once
    read = read[np.argsort(np.argsort(sig.rows))]
    read_rank = np.log1p(np.argsort(np.argsort(-read, kind="stable"), kind="stable"))
    return np.column_stack([x, read, read - (read.max() if len(read) else 0.0), read_rank])


@dataclass(frozen=True)
class Rule:
    """A fitted logistic rule: standardise, weigh, add."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": float(self.intercept)}

    @classmethod
    def from_dict(cls, d: dict) -> Rule:
        return cls(np.array(d["mean"]), np.array(d["scale"]), np.array(d["coef"]), float(d["intercept"]))


@lru_cache(maxsize=2)
def rule(with_e5: bool = False) -> Rule:
    """The shipped ranking rule (bench/fusion.py) over FEATURES, or over FEATURES and E5_FEATURES;
    its feature names are checked against them."""
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES or tuple(data.get("e5 features", E5_FEATURES)) != E5_FEATURES:
        raise ValueError(f"{WEIGHTS.name} was fitted on other features; rerun bench/fusion.py")
    return Rule.from_dict(data["rank e5" if with_e5 else "rank"])


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def shortlist(sig: Signals, k: int) -> Signals:
    """What the second stage re-reads: the first stage's best, plus the best by the dense score
    alone (on a question that shares no word with its answer, BM25 can push the answer out of
    the fused top 30 while the dense score still ranks it high)."""
    fused = sig.fused
    by_fused = np.argsort(-fused, kind="stable")[:max(SECOND_STAGE - DENSE_KEPT, k)]
    by_dense = np.argsort(-sig.dense, kind="stable")[:DENSE_KEPT]
    keep = np.concatenate([by_fused, by_dense[~np.isin(by_dense, by_fused)]])
    return Signals(sig.rows[keep], sig.dense[keep], sig.bm25[keep], sig.para_bm25[keep], sig.words, sig.postings,
                   sig.para_postings)


@dataclass(frozen=True)
class Reranked:
    """The second stage's reading of one question: rows best first, each with the rule's probability
    that it is the answering sentence among the candidates, and its features."""

    rows: np.ndarray
    scores: np.ndarray
    x: np.ndarray  # FEATURES of each row, then E5_FEATURES when the index holds e5 vectors
    e5_question: np.ndarray | None = None  # the question as e5 read it, when the index holds e5 vectors

    def column(self, name: str) -> np.ndarray:
        return self.x[:, (FEATURES + E5_FEATURES).index(name)]


def rescore(state: State, question: str, sig: Signals, k: int, qvec: np.ndarray) -> Reranked:
    """The first stage's best candidates (see shortlist) re-ranked, best first, k of them."""
    sub = shortlist(sig, k)
    with_e5 = state.e5 is not None
    x = features(state, question, sub, qvec) if len(sub.rows) else \
        np.zeros((0, len(FEATURES) + (len(E5_FEATURES) if with_e5 else 0)))
    logits = rule(with_e5).logit(x) if len(sub.rows) else np.zeros(0)
    order = np.argsort(-logits, kind="stable")[:k]
    if not with_e5:
        return Reranked(sub.rows[order], sigmoid(logits[order]), x[order])
    from . import e5

    return Reranked(sub.rows[order], sigmoid(logits[order]), x[order], e5.query(question))
