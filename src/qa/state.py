"""State: one loaded generation of the index, the rows every stage reads.

A row is one sentence: where it stands (document, paragraph, sentence, character span), who speaks
it, and its paragraph. The vectors are not here but behind ``store`` (qa/store.py), so the same
rows serve an embedded FAISS index or a Milvus collection; BM25 (``lexical``) is read the same way
whichever store holds the vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import ingest

if TYPE_CHECKING:
    from .generation import RowFile
    from .lexical import Lexical
    from .store import DenseStore

# Arrays of one entry per sentence or paragraph, kept as arrays on disk: read as JSON lists, a million
# rows took most of a 3.3 s load and left 140 MB of freed Python integers in the process.
ROW_ARRAYS = {"doc": np.int32, "paragraph": np.int32, "sentence": np.int32, "start": np.int64, "end": np.int64,
              "para": np.int64, "para_doc": np.int32, "para_start": np.int64, "para_end": np.int64}


def context(doc: ingest.Document, speaker: str | None, sentence: str) -> str:
    """A sentence as it is matched: with the article's title (when it has a real one) and the speaker.

    A quote such as "He commended the regiment" never names its speaker; attribution already
    knows who "he" is, so the question "Which regiment did Zelensky commend?" can find it.
    Measured on SQuAD (bench/eval.py): the title adds about 2 points of MRR to fused retrieval.
    """
    head = [doc.title] if doc.has_title else []  # a label made of the lede's first words would only repeat it
    if speaker:
        head.append(f"{speaker}:")
    return " ".join(head + [sentence]) if head else sentence


def unit_mean(vectors: np.ndarray) -> np.ndarray:
    """The mean of some unit vectors, itself made unit length (zeros for none)."""
    v = np.asarray(vectors, dtype=np.float32)
    if not len(v):
        return np.zeros(v.shape[1] if v.ndim == 2 else 0, np.float32)
    m = v.mean(0)
    return (m / max(float(np.linalg.norm(m)), 1e-9)).astype(np.float32)


@dataclass
class State:
    """One loaded generation: immutable once built, swapped whole so readers never see half of one."""

    documents: list[ingest.Document]
    doc: np.ndarray  # int32 row -> document position
    paragraph: np.ndarray
    sentence: np.ndarray
    start: np.ndarray
    end: np.ndarray
    speaker: list[str | None]
    para: np.ndarray  # row -> global paragraph id
    para_doc: np.ndarray  # paragraph id -> document position
    para_start: np.ndarray
    para_end: np.ndarray
    store: DenseStore  # the rows' vectors: searched and scored there (qa/store.py)
    manifest: dict
    generation: Path | None = None
    lexical: tuple[Lexical, Lexical] | None = None  # BM25 of sentences, of paragraphs; built when saved
    _rows_by_doc: dict[str, np.ndarray] = field(default_factory=dict)
    _para_first_row: np.ndarray | None = None
    _uploads: dict[str, dict] | None = None
    doc_centroids: np.ndarray | None = None  # (documents, dim): see centroids; made by the build, saved with the rows
    # (rows, 384) fp16, each sentence as e5 reads it (qa/e5.py): read per row from disk once saved; None without
    e5: np.ndarray | RowFile | None = None
    e5_centroids: np.ndarray | None = None  # (documents, 384): each article's mean e5 vector; see e5_articles

    def upload_of(self, doc_id: str) -> dict | None:
        """The provenance record of an uploaded article (file, original_name, uploaded_at); None for a seed."""
        if self._uploads is None:
            self._uploads = {Path(f).stem: u for f, u in (self.manifest.get("uploads") or {}).items()}
        return self._uploads.get(doc_id)

    def __len__(self) -> int:
        return len(self.doc)

    @property
    def bm25(self) -> tuple[Lexical, Lexical]:
        """BM25 of the sentences and of the paragraphs (built when the generation is saved)."""
        if self.lexical is None:
            raise RuntimeError("BM25 is built when the generation is saved; this state was never saved")
        return self.lexical

    def dense(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Cosine of the question with each row, as the store computes it from its vectors."""
        return self.store.dense(np.asarray(rows, dtype=np.int64), qvec)

    @property
    def vectors(self) -> np.ndarray:
        """Every row's vector as one matrix: FAISS's memory-mapped file itself, not a copy; fetched
        whole from another store (for the evaluation's dense-only baselines, not for answering)."""
        matrix = getattr(self.store, "matrix", None)
        return matrix if matrix is not None else self.store.vectors(np.arange(len(self), dtype=np.int64))

    def centroids(self, docs: np.ndarray) -> np.ndarray:
        """(len(docs), dim): each document's mean sentence vector, unit length; what an article is
        about as a whole (qa/answerable.py reads a question against it). Made by the build from the
        vectors it has in hand and saved with the rows, so serving never reads the vectors (at a
        million sentences, reading them from the memory-mapped file put 1.5 GB of its pages in the
        process); for a state made without them, computed from the store once, on first use."""
        if self.doc_centroids is None:
            self.doc_centroids = np.stack([unit_mean(self.store.vectors(self.rows_of(d.id))) for d in self.documents]) \
                if self.documents else np.zeros((0, 0), np.float32)
        return self.doc_centroids[np.asarray(docs, dtype=np.int64)]

    def e5_articles(self, docs: np.ndarray) -> np.ndarray:
        """(len(docs), 384): each document's mean e5 sentence vector, unit length (what centroids is
        for MiniLM, as e5 reads the article); made from the e5 vectors once, when the generation is
        saved (or on first use), and kept with the rows. Only for an index that holds e5 vectors."""
        if self.e5_centroids is None:
            assert self.e5 is not None
            self.e5_centroids = np.stack([unit_mean(self.e5[np.sort(self.rows_of(d.id))]) for d in self.documents]) \
                if self.documents else np.zeros((0, 384), np.float32)
        return self.e5_centroids[np.asarray(docs, dtype=np.int64)]

    def text(self, row: int) -> str:
        return self.documents[self.doc[row]].text[self.start[row]:self.end[row]]

    def texts(self) -> list[str]:
        return self._slices(self.doc, self.start, self.end)

    def contexts(self) -> list[str]:
        """What is matched for each sentence: the sentence read with its article title and speaker."""
        docs = self.documents
        return [context(docs[d], w, t) for d, w, t in zip(self.doc.tolist(), self.speaker, self.texts())]

    def paragraph_texts(self) -> list[str]:
        return self._slices(self.para_doc, self.para_start, self.para_end)

    def _slices(self, doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[str]:
        """Spans of the documents' texts; a document's spans are contiguous, so each is decoded once."""
        out, current, text = [], -1, ""
        for d, a, b in zip(doc.tolist(), start.tolist(), end.tolist()):
            if d != current:
                current, text = d, self.documents[d].text
            out.append(text[a:b])
        return out

    def rows_of_paragraphs(self, paras: np.ndarray) -> np.ndarray:
        """Rows of the given paragraphs (a paragraph's rows are contiguous), without a scan of all rows."""
        if self._para_first_row is None:
            self._para_first_row = np.searchsorted(self.para, np.arange(len(self.para_doc) + 1))
        first = self._para_first_row
        return np.concatenate([np.arange(first[p], first[p + 1]) for p in paras]) if len(paras) else np.zeros(0, np.int64)

    def rows_of(self, doc_id: str) -> np.ndarray:
        if not self._rows_by_doc:
            bounds = np.searchsorted(self.doc, np.arange(len(self.documents) + 1))
            self._rows_by_doc = {d.id: np.arange(bounds[i], bounds[i + 1]) for i, d in enumerate(self.documents)}
        return self._rows_by_doc.get(doc_id, np.zeros(0, dtype=np.int64))
