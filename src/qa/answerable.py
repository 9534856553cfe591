"""Answerable: does the best quote answer the question, or do the articles not cover it?

One raw threshold cannot say: the best score an off-topic question reaches grows with the size of
the index (more sentences, more chance matches), so a threshold calibrated on a 48-article pool
calls answerable questions on a one-article index "not covered" (3 in 32 of the questions a
reader asked of the seed article), and one calibrated on a single article lets noise through on a
large one. So every index is calibrated when it is built: a fixed bank of off-topic questions
(``qa/data/offtopic.json``, 407 hand-written questions about nothing a news archive is likely to
hold) is asked of *this* index, and how high its best candidates' signals reach (their 99th
percentile) is kept in the manifest. The confidence that a question is answered is a logistic
rule over the best candidate's signals (second-stage score, fused score, dense score, coverage,
and the question's cosine with the candidate's whole article) and their distance above this
index's bank figures; "not covered" is a confidence under one threshold. Rule and threshold were
fitted by ``bench/fusion.py`` on the even-numbered SQuAD articles, each alone and in indexes of 5
and 11: the threshold abstains on the most off-topic questions at the worst size while wrongly
abstaining on at most 5% of answerable ones there. On the odd articles (qa eval): 90.4-99.6% of
off-topic questions abstained from one article to 48 (the first stage's fixed 0.5: 0% at 48),
0-1.9% of answerable SQuAD questions; on the seed article 99.4% of off-topic questions and 24.7%
of its answerable ones, most of them asked in other words (42.5% before the article signal).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .rerank import Rule

BANK = Path(__file__).resolve().parent / "data" / "offtopic.json"


def available() -> bool:
    """False only while the rules are being fitted (bench/fusion.py): no weights yet, or weights
    for other features."""
    from .rerank import WEIGHTS, rule

    if not (BANK.is_file() and WEIGHTS.is_file()):
        return False
    try:
        rule()
        rule(True)
    except (ValueError, KeyError, TypeError):
        return False
    return True


@lru_cache(maxsize=1)
def bank() -> tuple[str, ...]:
    return tuple(json.loads(BANK.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def bank_key() -> str:
    """Names the bank and the second-stage rule together: either changed, an index calibrates anew.
    Read once per process: every question checks its index's calibration against it."""
    from .rerank import WEIGHTS

    return hashlib.sha256("\x00".join(bank()).encode("utf-8") + WEIGHTS.read_bytes()).hexdigest()[:12]


SHIPPED_VECTORS = BANK.with_name("offtopic-vectors.npy")  # the bank through the packaged question encoder


def _vectors_key(model: str) -> str:
    from .embed import QUESTION_WEIGHTS

    recipe = QUESTION_WEIGHTS / "recipe.json"
    weights = json.loads(recipe.read_text(encoding="utf-8"))["sha256"] if recipe.is_file() else ""
    return hashlib.sha256(("\x00".join(bank()) + model + weights).encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=2)
def bank_vectors(model: str) -> np.ndarray:
    """The bank's questions as vectors: shipped for the packaged model (encoding 407 questions takes
    3 s on two cores, and every process that builds an index would pay it), encoded once per
    process for any other."""
    from .embed import query_encoder

    shipped = _shipped(SHIPPED_VECTORS, _vectors_key(model))
    return shipped if shipped is not None else query_encoder(model).encode(list(bank()))


def _shipped(path: Path, key: str) -> np.ndarray | None:
    """A shipped array, when its .key file names what it was made from (else it is stale)."""
    k = path.with_suffix(".key")
    if path.is_file() and k.is_file() and k.read_text().strip() == key:
        return np.load(path, allow_pickle=False)
    return None


def _ship(path: Path, vectors: np.ndarray, key: str) -> None:
    np.save(path, np.asarray(vectors, np.float32), allow_pickle=False)
    path.with_suffix(".key").write_text(key + "\n")


SHIPPED_E5 = BANK.with_name("offtopic-e5-vectors.npy")  # the bank as e5 reads a question (qa/e5.py)


def _e5_key() -> str:
    from . import e5

    return hashlib.sha256(("\x00".join(bank()) + e5.version()).encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def remember_bank_e5() -> None:
    """Hand e5 the bank's shipped vectors when they are its own version's (else it encodes them,
    ~4 s on two cores, once per process): a restarted server calibrates its index before it opens."""
    from . import e5

    shipped = _shipped(SHIPPED_E5, _e5_key())
    if shipped is not None:
        e5.remember(bank(), shipped)


def write_bank_vectors(model: str) -> None:
    """Ship the bank's vectors for the packaged model, and e5's when it is on (bench/fusion.py --write)."""
    from . import e5
    from .embed import query_encoder

    _ship(SHIPPED_VECTORS, query_encoder(model).encode(list(bank())), _vectors_key(model))
    if e5.enabled():
        _ship(SHIPPED_E5, np.stack([e5.query(q) for q in bank()]), _e5_key())


SIGNALS = ("score", "fused", "dense", "coverage", "topic")  # of a question's best candidate, as the bank records them
E5_SIGNALS = ("e5", "e5_best", "e5_topic")  # then these, when the index holds e5 vectors (qa/e5.py)
QUANTILE = 0.99
ANSWER_FEATURES = ("score", "fused", "dense", "coverage", "topic",
                   "score_over_bank", "fused_over_bank", "dense_over_bank", "topic_over_bank")
E5_ANSWER_FEATURES = ("e5", "e5_best", "e5_topic", "e5_over_bank", "e5_best_over_bank", "e5_topic_over_bank")


def signals(r, state, qvec: np.ndarray) -> np.ndarray:
    """(n, 5): SIGNALS of each of a Reranked's rows, then E5_SIGNALS when it was read with e5 (n, 8).
    ``topic`` is the question's cosine with the row's whole article (its mean sentence vector): a
    question asked in other words than the sentence that answers it still reads as being about that
    article, which the sentence-level signals miss (on the seed article's index its paraphrase
    questions reach a median sentence cosine of 0.37, off-topic ones 0.11 with a 99th percentile of
    0.29; against the article, 0.26 and -0.01 with 0.22). ``e5``, ``e5_best`` and ``e5_topic`` are
    e5's reading of the same: its cosine with the row, the best among the candidates, and with the
    row's article. Fitted with them (bench/fusion.py, held-out odd-article indexes, one run) the
    rule abstained on 96.0% of off-topic questions at five articles (93.8% without), 97.3% at 48
    (95.9%), >= 99.2% on one article, and on 35.4% of the seed's paraphrases (43.8%)."""
    topic = state.centroids(state.doc[r.rows]) @ qvec if len(r.rows) else np.zeros(0)
    out = np.column_stack([r.scores, r.column("fused"), r.column("dense"), r.column("coverage"), topic])
    if r.e5_question is None:
        return out
    e5 = r.column("e5")
    e5_topic = state.e5_articles(state.doc[r.rows]) @ r.e5_question if len(r.rows) else np.zeros(0)
    return np.column_stack([out, e5, e5 - r.column("e5_rel"), e5_topic])


@dataclass(frozen=True)
class Calibration:
    """What the bank's questions reach on one index: the QUANTILE of each of SIGNALS over their
    best candidates (a question about nothing here still finds a best sentence; this says how
    good such a best sentence looks on this index)."""

    high: tuple[float, ...]  # one per SIGNALS
    questions: int

    def to_dict(self) -> dict:
        return {"bank": bank_key(), "quantile": QUANTILE, "high": [round(h, 5) for h in self.high],
                "questions": self.questions}

    @classmethod
    def from_dict(cls, d: dict | None) -> Calibration | None:
        if not d or d.get("bank") != bank_key():
            return None
        return cls(tuple(float(h) for h in d["high"]), int(d["questions"]))


def calibrate(state, bank_vectors: np.ndarray) -> Calibration:
    """Ask every bank question of this index; keep how high its best candidate's signals reach."""
    from .rerank import rescore
    from .retrieve import candidates

    if state.e5 is not None:
        remember_bank_e5()
    tops = []
    for q, v in zip(bank(), bank_vectors):
        sig = candidates(state, q, v, 1, None)
        if len(sig.rows):
            tops.append(signals(rescore(state, q, sig, 1, v), state, v)[0])
    if not tops:
        return Calibration(tuple(0.0 for _ in SIGNALS + (E5_SIGNALS if state.e5 is not None else ())), 0)
    return Calibration(tuple(float(x) for x in np.quantile(np.array(tops), QUANTILE, axis=0)), len(tops))


def answer_features(sig: np.ndarray, calibration: Calibration | None) -> np.ndarray:
    """ANSWER_FEATURES of candidates (then E5_ANSWER_FEATURES, for signals read with e5), from
    their signals and this index's calibration."""
    with_e5 = sig.shape[1] > len(SIGNALS)
    names = SIGNALS + (E5_SIGNALS if with_e5 else ())
    wanted = ANSWER_FEATURES + (E5_ANSWER_FEATURES if with_e5 else ())
    high = np.array(calibration.high if calibration is not None and len(calibration.high) == len(names)
                    else decision(with_e5).default_high)

    def column(feature: str) -> np.ndarray:
        name = feature.removesuffix("_over_bank")
        i = names.index(name)
        return sig[:, i] - high[i] if feature != name else sig[:, i]

    return np.column_stack([column(f) for f in wanted])


@dataclass(frozen=True)
class Decision:
    """The fitted answerability rule: a logistic rule over ANSWER_FEATURES, and the probability
    below which a best candidate is "not covered"."""

    rule: Rule
    threshold: float
    default_high: tuple[float, ...]  # for an index calibrated before the bank existed

    def confidence(self, sig: np.ndarray, calibration: Calibration | None) -> np.ndarray:
        from .rerank import sigmoid

        return sigmoid(self.rule.logit(answer_features(sig, calibration)))


@lru_cache(maxsize=2)
def decision(with_e5: bool = False) -> Decision:
    """The answerability rule for an index without e5 vectors, or with them (``with_e5``: fitted on
    E5_ANSWER_FEATURES as well)."""
    from .rerank import WEIGHTS, Rule

    d = json.loads(WEIGHTS.read_text(encoding="utf-8"))["answerable e5" if with_e5 else "answerable"]
    if tuple(d["features"]) != ANSWER_FEATURES + (E5_ANSWER_FEATURES if with_e5 else ()):
        raise ValueError(f"{WEIGHTS.name}: the answerability rule was fitted on other features; rerun bench/fusion.py")
    return Decision(Rule.from_dict(d["rule"]), float(d["threshold"]), tuple(d["default high"]))


def decision_for(state) -> Decision:
    """The answerability rule that reads this index's signals."""
    return decision(state.e5 is not None)
