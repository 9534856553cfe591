"""Retrieve: a question to the sentences that answer it, best first, each with where it stands.

Checks live here, not in any text box, because the CLI, the chat and the HTTP API all come
through this one function.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import asdict, dataclass

import numpy as np

from .config import MAX_QUESTION_CHARS
from .errors import QuestionError
from .index import Index, State
from .lexical import top

MAX_K = 100


@dataclass(frozen=True)
class Passage:
    text: str  # exactly doc_text[start:end]
    doc: str
    title: str
    paragraph: int  # 1-based
    sentence: int  # 0-based, counted through the whole document
    start: int
    end: int
    score: float  # second stage: the probability that the sentence answers (0-1); first stage alone: the fused score
    speaker: str | None = None
    fused: float | None = None  # the first stage's fused score, kept beside the second stage's
    answer: str | None = None  # the words that answer, when the second stage can tell (qa/phrase.py)
    answer_start: int | None = None  # doc_text[answer_start:answer_end] == answer
    answer_end: int | None = None
    confidence: float | None = None  # second stage: the probability that the articles answer with this sentence at all
    sentence_in_paragraph: int = 0  # 1-based position in its paragraph, for "paragraph 4, sentence 2"
    # Provenance (issue 11): "upload" for an article a visitor added, with when and under what name.
    source: str = "seed"
    uploaded_at: str | None = None
    original_name: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def clean_question(question: object) -> str:
    """The question as the model should see it, or a QuestionError a person can act on."""
    if question is None:
        raise QuestionError("no question given: type a question about the articles")
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,}")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise QuestionError("the question contains invalid characters (unpaired surrogates); retype it") from None
    # Control and format characters (NUL, zero-width, bidi overrides) carry no meaning for search.
    kept = [" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
            for ch in question if unicodedata.category(ch) not in ("Cf", "Co", "Cn")]
    cleaned = " ".join(unicodedata.normalize("NFC", "".join(kept)).split())
    if not cleaned:
        raise QuestionError("the question is empty: type a question about the articles")
    return cleaned


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= MAX_K:
        raise QuestionError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    return int(k)


def check_docs(state: State, docs: object) -> np.ndarray | None:
    """Rows allowed by a document filter (None: all); unknown ids are an error, not an empty answer."""
    if docs is None:
        return None
    if isinstance(docs, str):
        docs = [docs]
    if not isinstance(docs, (list, tuple, set, frozenset)) or not all(isinstance(d, str) for d in docs):
        raise QuestionError("docs must be a list of document ids")
    docs = list(dict.fromkeys(docs))
    if not docs:
        return None
    known = {d.id for d in state.documents}
    unknown = [d for d in docs if d not in known]
    if unknown:
        raise QuestionError(f"unknown document id(s): {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")
    return np.concatenate([state.rows_of(d) for d in docs])


# The fused score: a sentence's dense cosine (read with title and speaker) plus BM25 of the sentence
# and of its paragraph through a saturating transform s/(s+h), so the score is absolute (one
# threshold means the same for every question) rather than relative to the best hit. Weights were
# chosen on the even-numbered SQuAD dev articles and checked on the odd ones (bench/eval.py); a
# dense paragraph vector added 0.003 MRR on top of paragraph BM25 and was dropped for build speed.
LEXICAL_WEIGHT = 1.0
PARAGRAPH_LEXICAL_WEIGHT = 0.6
LEXICAL_HALF = 10.0
CANDIDATES = 50
CANDIDATE_PARAGRAPHS = 10


def _saturate(x: np.ndarray) -> np.ndarray:
    return x / (x + LEXICAL_HALF)


def fuse(dense: np.ndarray, bm25: np.ndarray, para_bm25: np.ndarray) -> np.ndarray:
    """The one scoring formula, shared by retrieval and the evaluation's ablations."""
    return dense + LEXICAL_WEIGHT * _saturate(bm25) + PARAGRAPH_LEXICAL_WEIGHT * _saturate(para_bm25)


@dataclass
class Signals:
    """Every first-stage candidate of one question with the evidence for it: the rows found by
    any signal, each scored on one scale. The second stage (qa/rerank.py) reads the same object."""

    rows: np.ndarray
    dense: np.ndarray  # cosine of the question with the sentence read with title and speaker
    bm25: np.ndarray  # BM25 of the sentence (with its context)
    para_bm25: np.ndarray  # BM25 of its paragraph
    words: list[str]  # the question as BM25 reads it
    postings: list  # per question term in the sentence index: the rows holding it
    para_postings: list

    @property
    def fused(self) -> np.ndarray:
        return fuse(self.dense, self.bm25, self.para_bm25)


def candidates(state: State, question: str, qvec: np.ndarray, k: int, rows: np.ndarray | None) -> Signals:
    """Candidates from every signal: the dense neighbours, the best BM25 sentences, and the sentences
    of the best BM25 paragraphs, each scored by every signal."""
    n = max(CANDIDATES, 4 * k)
    sent_lex, para_lex = state.bm25
    words = sent_lex.terms(question)
    bm25, postings = sent_lex.scores(words, rows)
    para_bm25, para_postings = para_lex.scores(words)
    if rows is not None:
        allowed = np.zeros(len(para_bm25), bool)
        allowed[state.para[rows]] = True
        para_bm25 = np.where(allowed, para_bm25, 0.0)
    para_rows = state.rows_of_paragraphs(top(para_bm25, para_postings, CANDIDATE_PARAGRAPHS))
    cands = np.unique(np.concatenate([search(state, qvec, n, rows), top(bm25, postings, n), para_rows]).astype(np.int64))
    if rows is not None:
        cands = cands[np.isin(cands, rows)]
    dense = state.dense(cands, qvec) if len(cands) else np.zeros(0, np.float32)  # one scale, whichever signal found it
    return Signals(cands, dense, bm25[cands], para_bm25[state.para[cands]], words, postings, para_postings)


def hybrid(state: State, question: str, qvec: np.ndarray, k: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The first stage: candidates from every signal ranked by the one fused formula; (rows, scores) best first."""
    sig = candidates(state, question, qvec, k, rows)
    if not len(sig.rows):
        return sig.rows, np.zeros(0, np.float32)
    fused = sig.fused
    order = np.argsort(-fused, kind="stable")[:k]
    return sig.rows[order], fused[order].astype(np.float32)


def search(state: State, qvec: np.ndarray, k: int, rows: np.ndarray | None) -> np.ndarray:
    """Rows of about the k nearest sentences by the dense score, from the index's store (qa/store.py)."""
    return state.store.search(qvec, k, rows)


def passage(state: State, row: int, score: float, fused: float | None = None, question: str | None = None,
            confidence: float | None = None) -> Passage:
    d = state.documents[state.doc[row]]
    text, start = state.text(row), int(state.start[row])
    span = None
    if question is not None:
        from .phrase import answer_span

        span = answer_span(question, text)
    up = state.upload_of(d.id) or {}
    first = int(np.searchsorted(state.para, state.para[row]))  # a paragraph's rows are contiguous and in order
    return Passage(text=text, doc=d.id, title=d.title, paragraph=int(state.paragraph[row]),
                   sentence=int(state.sentence[row]), start=start, end=int(state.end[row]),
                   score=float(score), speaker=state.speaker[row], fused=None if fused is None else float(fused),
                   answer=text[span[0]:span[1]] if span else None, answer_start=start + span[0] if span else None,
                   answer_end=start + span[1] if span else None, sentence_in_paragraph=row - first + 1,
                   confidence=None if confidence is None else float(confidence), source="upload" if up else "seed",
                   uploaded_at=up.get("uploaded_at"), original_name=up.get("original_name"))


def retrieve(question: str, k: int = 5, docs: list[str] | None = None, index: Index | None = None,
             rerank: bool = True) -> list[Passage]:
    """The k sentences that best answer the question, best first.

    question: any text up to 2,000 characters (control and zero-width characters are dropped).
    k: how many sentences, 1 to 100.
    docs: article ids to search (None: all).
    rerank: re-read the first stage's best 30 with the second stage (qa/rerank.py): ``score`` is the
        probability that a sentence is the one that answers, ``confidence`` that the articles
        answer at all (qa/answerable.py); False gives the first stage alone, its fused score.
    """
    q = clean_question(question)
    k = check_k(k)
    index = index or default_index()
    state = index.state
    rows = check_docs(state, docs)
    qvec = index.query_encoder.encode([q])[0]
    if not rerank:
        ids, scores = hybrid(state, q, qvec, k, rows)
        return [passage(state, int(r), float(s)) for r, s in zip(ids, scores)]
    from .answerable import decision_for, signals
    from .rerank import rescore

    sig = candidates(state, q, qvec, k, rows)
    if not len(sig.rows):
        return []
    r = rescore(state, q, sig, k, qvec)
    confidence = decision_for(state).confidence(signals(r, state, qvec), index.calibration)
    return [passage(state, int(row), float(s), float(f), q, float(c))
            for row, s, f, c in zip(r.rows, r.scores, r.column("fused"), confidence)]


_default: Index | None = None
_default_lock = threading.Lock()


def default_index() -> Index:
    """The index of QA_SEEDS/QA_INDEX, loaded on first use and kept for the life of the process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Index()
        return _default
