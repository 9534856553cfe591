"""Answerable: does the best quote answer the question, or do the articles not cover it?

One raw threshold cannot say: the best score an off-topic question reaches grows with the size of
the index (more sentences, more chance matches), so a threshold calibrated on a 48-article pool
calls answerable questions on a one-article index "not covered", and one calibrated on a single
article lets noise through on a large one. So every index is calibrated when it is built: a fixed
bank of off-topic questions (``qa/data/offtopic.json``, hand-written questions about nothing a
news archive is likely to hold) is asked of *this* index, and its best second-stage scores are
kept in the manifest. A question is answered when its best score clears both a floor and a high
quantile of the bank's scores on this index, plus a margin; the floor, the quantile and the margin
were chosen by ``bench/fusion.py`` on the even-numbered SQuAD articles, at index sizes from one
article to all of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

BANK = Path(__file__).resolve().parent / "data" / "offtopic.json"


def available() -> bool:
    """False only while the rule is being fitted (bench/fusion.py), before its weights exist."""
    from .rerank import WEIGHTS

    return BANK.is_file() and WEIGHTS.is_file()


@lru_cache(maxsize=1)
def bank() -> tuple[str, ...]:
    return tuple(json.loads(BANK.read_text(encoding="utf-8")))


def bank_key() -> str:
    """Names the bank and the second-stage rule together: either changed, an index calibrates anew."""
    from .rerank import WEIGHTS

    return hashlib.sha256("\x00".join(bank()).encode("utf-8") + WEIGHTS.read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=2)
def bank_vectors(model: str) -> np.ndarray:
    """The bank's questions encoded once per process (300 questions: about 2.5 s on two cores)."""
    from .embed import query_encoder

    return query_encoder(model).encode(list(bank()))


@dataclass(frozen=True)
class Calibration:
    """The best second-stage score of each bank question on one index, sorted."""

    tops: tuple[float, ...]

    def quantile(self, q: float) -> float:
        return float(np.quantile(np.asarray(self.tops), q)) if self.tops else float("-inf")

    def to_dict(self) -> dict:
        return {"bank": bank_key(), "tops": [round(t, 4) for t in self.tops]}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Calibration | None":
        if not d or d.get("bank") != bank_key():
            return None
        return cls(tuple(float(t) for t in d["tops"]))


def calibrate(state, bank_vectors: np.ndarray) -> Calibration:
    """Ask every bank question of this index; keep its best second-stage score."""
    from .rerank import rescore
    from .retrieve import candidates

    tops = []
    for q, v in zip(bank(), bank_vectors):
        sig = candidates(state, q, v, 1, None)
        if not len(sig.rows):
            continue
        _, scores, _ = rescore(state, q, sig, 1, v)
        tops.append(float(scores[0]))
    return Calibration(tuple(sorted(tops)))


@dataclass(frozen=True)
class Decision:
    """The fitted rule: answer when the best score is at least ``floor`` and at least the bank's
    ``quantile`` on this index plus ``margin``."""

    floor: float
    quantile: float
    margin: float

    def threshold(self, calibration: Calibration | None) -> float:
        if calibration is None or not calibration.tops:
            return self.floor
        return max(self.floor, calibration.quantile(self.quantile) + self.margin)


def decision() -> Decision:
    from .rerank import WEIGHTS

    d = json.loads(WEIGHTS.read_text(encoding="utf-8"))["answerable"]
    return Decision(float(d["floor"]), float(d["quantile"]), float(d["margin"]))
