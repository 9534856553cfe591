"""Lexical: BM25 (bm25s) over the sentences and over the paragraphs, built with the index and saved in
its generation, so a process that loads an index answers its first question without tokenizing the
corpus (at a million sentences that took a minute and a gigabyte of memory on every start)."""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

# bm25s's own save format (numpy arrays, JSON vocabulary and parameters; nothing pickled), and ours.
SAVED = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "vocab.index.json",
         "params.index.json", "ceiling.npy")


class Postings(NamedTuple):
    rows: np.ndarray  # the rows that hold a term
    ceiling: float  # the most the term adds to any one row's score


class Lexical:
    """BM25 over texts (English stopwords, Snowball stems): exact words that a dense model blurs,
    such as names, numbers and unit designations."""

    def __init__(self, model, ceiling: np.ndarray):
        import bm25s

        self._bm25s = bm25s
        self._stemmer = stemmer()
        self.model = model
        self._ceiling = ceiling  # per term, the most it adds to any row's score: lets top() skip common words

    @classmethod
    def build(cls, texts: list[str]) -> Lexical:
        import bm25s

        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), show_progress=False)
        model = bm25s.BM25()
        if tokens.vocab:
            model.index(tokens, show_progress=False)
        else:  # no articles, or not one indexable word: bm25s needs a vocabulary, so one no question can hold
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # the mean length of no documents
                model.index(type(tokens)(ids=tokens.ids, vocab={" ": 0}), show_progress=False)
        data, indptr = model.scores["data"], model.scores["indptr"]
        ceiling = np.zeros(len(indptr) - 1, np.float32)
        held = np.flatnonzero(indptr[1:] > indptr[:-1])
        if len(held):
            ceiling[held] = np.maximum.reduceat(data, indptr[held])
        return cls(model, ceiling)

    def save(self, folder: Path) -> None:
        self.model.save(folder, show_progress=False)
        np.save(folder / "ceiling.npy", self._ceiling, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> Lexical:
        """Memory-mapped: a question reads the postings of its own words, not the whole index."""
        import bm25s

        model = bm25s.BM25.load(folder, mmap=True, show_progress=False)
        return cls(model, np.load(folder / "ceiling.npy", allow_pickle=False))

    def __len__(self) -> int:
        return int(self.model.scores["num_docs"])

    def terms(self, question: str) -> list[str]:
        """The question as BM25 reads it; every Lexical reads it alike, so one reading serves both."""
        return self._bm25s.tokenize([question], stopwords="en", stemmer=self._stemmer, show_progress=False,
                                    return_ids=False)[0]

    def scores(self, question: str | list[str], rows: np.ndarray | None = None) -> tuple[np.ndarray, list[Postings]]:
        """BM25 of every row, and for each query term the rows that hold it (the only rows that can
        score) with the most it adds to any one row's score (see top())."""
        tokens = self.terms(question) if isinstance(question, str) else question
        n = len(self)
        ids = [self.model.vocab_dict[t] for t in tokens if t in self.model.vocab_dict]
        if not ids:  # nothing BM25 can match (only emoji, stopwords or unseen words): no lexical evidence
            return np.zeros(n, dtype=np.float32), []
        mask = None
        if rows is not None:
            mask = np.zeros(n, dtype=np.float32)
            mask[rows] = 1
        scores = np.asarray(self.model.get_scores(tokens, weight_mask=mask), dtype=np.float32)
        indptr, indices = self.model.scores["indptr"], self.model.scores["indices"]
        repeats = {i: ids.count(i) for i in ids}  # a word asked twice counts twice in the score
        return scores, [Postings(indices[indptr[i]:indptr[i + 1]], float(self._ceiling[i]) * r) for i, r in repeats.items()]


def top(scores: np.ndarray, postings: list[Postings], n: int) -> np.ndarray:
    """The n best-scoring rows of those the postings hold (any order; only rows scoring above 0).

    Why not a partial sort of every score: at a million rows that costs half the encoding of the
    question, and even a partial sort of the postings (a hundred thousand entries for a question
    with common words) costs a tenth. Instead the rows of the rarest terms, a few hundred, give a
    floor that at least n rows reach. A row holding only the commonest terms scores at most the
    sum of their ceilings, so while that sum stays under the floor their rows are never looked at
    (MaxScore, as search engines call it); the other rows are kept if they reach the floor, one
    comparison per posting rather than a sort. Halves the time of this step at 1M rows.
    """
    if not postings:
        return np.zeros(0, np.int64)
    postings = sorted(postings, key=lambda p: len(p.rows))
    seed = 0
    while seed < len(postings) and sum(len(p.rows) for p in postings[:seed]) < 4 * n:
        seed += 1
    rows = np.unique(np.concatenate([p.rows for p in postings[:seed]]))
    floor = np.partition(scores[rows], len(rows) - n)[len(rows) - n] if len(rows) > n else 0
    rest = sorted(postings[seed:], key=lambda p: p.ceiling)
    passed, below = 0, 0.0
    while floor > 0 and passed < len(rest) and below + rest[passed].ceiling < floor:
        below += rest[passed].ceiling
        passed += 1
    if passed < len(rest):
        kept = [p.rows[scores[p.rows] >= floor] if floor > 0 else p.rows for p in rest[passed:]]
        rows = np.unique(np.concatenate([rows, *kept]))
    rows = rows[scores[rows] > 0]
    if len(rows) > n:
        rows = rows[np.argpartition(-scores[rows], n - 1)[:n]]
    return rows.astype(np.int64)


@lru_cache(maxsize=1)
def stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")
