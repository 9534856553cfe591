"""Build: one new generation of an index, from its seeds and what the last generation knows.

An unchanged article (same bytes, model and embed version) is neither segmented nor encoded again:
its rows come from the previous generation and its vectors from the previous store. A new or
changed one is segmented under the budget (qa/segment.py), attributed, and encoded (in this
process, or with Ray); then the vectors go to the store the settings name and the generation is
written (qa/generation.py). Called by ``Index`` with its lock held.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import attribute, ingest, names, segment
from .generation import FORMAT, save_generation
from .state import State, context, unit_mean
from .store import DenseStore, FaissStore, Spec

if TYPE_CHECKING:
    from .embed import Encoder
    from .index import Index

log = logging.getLogger(__name__)


def plural(n: int, word: str) -> str:
    """ "1 article", "2 articles", "1,000 sentences"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


EMBED_VERSION = 3  # bump when what is embedded for a sentence changes, so old vectors are not reused
# (3: titles from the article itself, a .txt headline line is no longer paragraph 1)
# Bump when sentence splitting or attribution changes: an unchanged article's spans and speakers are
# otherwise reused from the previous generation, so a better splitter never reached an old index
# (qa eval's cached index kept 10,257 sentences where a fresh build makes 10,262).
SEGMENT_VERSION = 1


@dataclass
class Done:
    """What is known of one article before a build: its rows, and where its vectors come from."""

    vectors: np.ndarray | None  # encoded (an upload, prepared) or None
    spans: list[segment.Span]
    paragraphs: list[tuple[int, int]]
    speakers: list[str | None]
    rows: np.ndarray | None = None  # its rows in the previous generation, whose store holds the vectors
    e5: np.ndarray | None = None  # its sentences as e5 reads them (qa/e5.py), when encoded ahead (an upload)


def calibration(index: Index, state: State) -> dict:
    """The manifest entry of an index's off-topic calibration (qa/answerable.py), made once it is searchable."""
    from .answerable import available, bank_vectors, calibrate

    if not len(state) or not available():
        return {}
    return {"calibration": calibrate(state, bank_vectors(index.settings.model)).to_dict()}


def reusable(index: Index, previous: State | None) -> dict[str, Done]:
    """What the previous generation knows of each document, by hash: an unchanged article is
    neither segmented nor encoded again, and its vectors are read from the previous store."""
    if previous is None or previous.manifest.get("model") != index.settings.model \
            or previous.manifest.get("embed") != EMBED_VERSION or previous.manifest.get("segment") != SEGMENT_VERSION:
        return {}
    out = {}
    for i, d in enumerate(previous.documents):
        rows = previous.rows_of(d.id)
        pids = np.flatnonzero(previous.para_doc == i)
        out[d.sha256] = Done(
            vectors=None, rows=rows,
            spans=[segment.Span(int(previous.paragraph[r]), int(previous.start[r]), int(previous.end[r])) for r in rows],
            paragraphs=[(int(previous.para_start[p]), int(previous.para_end[p])) for p in pids],
            speakers=[previous.speaker[r] for r in rows])
    return out


def generation(index: Index, seen: dict[str, str], progress: bool, previous: State | None = None) -> State:
    started = time.perf_counter()
    documents, skipped = [], {}
    uploads = index._uploads(seen)
    # One article per name key (qa/names.py): a curated seed wins over an upload of the same key,
    # then the older file over the newer (a copy planted before names were compared by key).
    files = ingest.seed_files(index.settings.seeds)
    owner: dict[str, Path] = {}

    def age(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return float("inf")

    for path in sorted(files, key=lambda p: (p.name in uploads, age(p), p.name)):
        owner.setdefault(names.key(path.name), path)
    reuse = reusable(index, previous)
    spans, paras, speakers = [], [], []
    for path in files:
        first = owner[names.key(path.name)]
        if first != path:
            skipped[path.name] = f"skipped {path.name}: the article {first.name} already has that name"
            log.warning(skipped[path.name])
            continue
        try:
            doc = ingest.load(path)
            done = reuse.get(doc.sha256) or index._prepared.get(doc.sha256)
            if done is None:  # new or changed file, bounded by the budget: a bad seed is skipped, not waited on
                text = doc.text
                try:
                    found = segment.segment(text, doc.body_start, index.budget)
                except segment.TooLong as exc:
                    raise ingest.IngestError(f"{path.name}: {exc}") from None
                done = Done(vectors=None, spans=found, paragraphs=segment.paragraphs(text, doc.body_start),
                             speakers=attribute.speakers(text, [(s.paragraph, s.start, s.end) for s in found]))
        except ingest.IngestError as exc:
            skipped[path.name] = f"skipped {exc}"
            log.warning("skipped %s", exc)
            continue
        documents.append(doc)
        spans.append(done.spans)
        paras.append(done.paragraphs)
        speakers.append(done.speakers)
        if done.vectors is not None and doc.sha256 not in reuse:
            reuse[doc.sha256] = done
    index.warnings = list(skipped.values())
    fresh = [i for i, d in enumerate(documents) if d.sha256 not in reuse]
    todo = [context(documents[i], w, text[s.start:s.end])
            for i in fresh for text in [documents[i].text] for s, w in zip(spans[i], speakers[i])]
    # sentence-transformers takes 9 s to import on a busy machine: a build with nothing new to
    # encode (a restart that only skips a refused seed) does not load it.
    if todo:
        encoded, dim = encode(index, todo, progress)
    else:
        dim = (previous.manifest.get("dim") if previous is not None else None) or index.query_encoder.dim
        encoded = np.zeros((0, dim), np.float32)
    parts: dict[int, np.ndarray] = {}
    at = 0
    for i in fresh:
        parts[i] = encoded[at:at + len(spans[i])]
        at += len(spans[i])
    para_base = np.cumsum([0] + [len(p) for p in paras])
    rows = [(i, s) for i, ss in enumerate(spans) for s in ss]
    state = State(
        documents=documents,
        doc=np.array([i for i, _ in rows], dtype=np.int32),
        paragraph=np.array([s.paragraph for _, s in rows], dtype=np.int32),
        sentence=np.array([n for ss in spans for n in range(len(ss))], dtype=np.int32),
        start=np.array([s.start for _, s in rows], dtype=np.int64),
        end=np.array([s.end for _, s in rows], dtype=np.int64),
        speaker=[w for ws in speakers for w in ws],
        para=np.array([para_base[i] + s.paragraph - 1 for i, s in rows], dtype=np.int64),
        para_doc=np.array([i for i, ps in enumerate(paras) for _ in ps], dtype=np.int32),
        para_start=np.array([a for ps in paras for a, _ in ps], dtype=np.int64),
        para_end=np.array([b for ps in paras for _, b in ps], dtype=np.int64),
        store=None,  # type: ignore[arg-type]  # set below, once the rows are known
        manifest={},
    )
    state.store = store(index, state, parts, reuse, previous, int(dim), progress)
    state.doc_centroids = centroids(state, parts, reuse, previous, int(dim))
    state.e5 = e5_vectors(state, reuse, previous, progress)
    state.manifest = {
        "format": FORMAT, "model": index.settings.model, "embed": EMBED_VERSION, "segment": SEGMENT_VERSION,
        "e5": state.e5 is not None,
        "dim": int(dim),
        "count": len(rows), "seeds": seen, "skipped": skipped, "uploads": uploads,
        "documents": {d.id: d.sha256 for d in documents},
        "encoded": len(todo), "seconds": round(time.perf_counter() - started, 3),
        "store": state.store.describe(),
    }
    state.generation = save_generation(index.settings.index, state, extra=lambda st: calibration(index, st))
    log.info("indexed %s of %s (%s encoded) in %.1fs", plural(len(rows), "sentence"),
             plural(len(documents), "article"), plural(len(encoded), "text"), time.perf_counter() - started)
    return state


def encode(index: Index, texts: list[str], progress: bool = False) -> tuple[np.ndarray, int]:
    """Sentence vectors of new rows: in this process, or with Ray (``--ray``) across a cluster."""
    embedder: Encoder = index.embedder
    if index.settings.ray:
        from .distributed import RayEmbedder  # RayMissing, one line, when Ray is not installed

        embedder = RayEmbedder(index.settings.model)
    return embedder.encode(texts, progress=progress), embedder.dim  # type: ignore[call-arg]


def centroids(state: State, parts: dict[int, np.ndarray], reuse: dict[str, Done], previous: State | None,
              dim: int) -> np.ndarray:
    """Each article's mean sentence vector (State.centroids): from the vectors this build holds, or
    for an article kept as it was, the previous generation's."""
    out = np.zeros((len(state.documents), dim), np.float32)
    for i, d in enumerate(state.documents):
        done = reuse.get(d.sha256)
        if i in parts:
            out[i] = unit_mean(parts[i])
        elif done is not None and done.vectors is not None:
            out[i] = unit_mean(done.vectors)
        elif previous is not None and done is not None and done.rows is not None and len(done.rows):
            out[i] = previous.centroids(previous.doc[done.rows[:1]])[0]
    return out


def e5_vectors(state: State, reuse: dict[str, Done], previous: State | None, progress: bool) -> np.ndarray | None:
    """Every row as e5 reads it (qa/e5.py), or None when e5 is off: an article kept as it was keeps
    the previous generation's, an upload the ones made when it was prepared; the rest are encoded."""
    from . import e5

    if not e5.enabled():
        return None
    out = np.zeros((len(state), e5.DIM), np.float16)
    todo: list[int] = []
    for d in state.documents:
        rows, done = state.rows_of(d.id), reuse.get(d.sha256)
        if done is not None and done.e5 is not None and len(done.e5) == len(rows):
            out[rows] = done.e5
        elif done is not None and done.rows is not None and previous is not None and previous.e5 is not None:
            out[rows] = previous.e5[done.rows]
        else:
            todo.extend(rows.tolist())
    if todo:
        texts = [state.text(r) for r in todo]
        out[todo] = e5.passages(texts, progress)
    return out


def store(index: Index, state: State, parts: dict[int, np.ndarray], reuse: dict[str, Done], previous: State | None,
           dim: int, progress: bool) -> DenseStore:
    """The new generation's vectors in the store the settings name. An unchanged article's
    vectors come from the previous store, and a Milvus collection that already holds them is not
    written again; so switching stores moves the vectors without encoding a sentence."""
    def vectors_of(i: int) -> np.ndarray:
        if i in parts:
            return parts[i]
        done = reuse[state.documents[i].sha256]
        if done.vectors is not None:
            return np.asarray(done.vectors, np.float32)
        assert previous is not None and done.rows is not None
        return previous.store.vectors(done.rows)

    spec = Spec.parse(index.settings.store)
    if spec.kind == "faiss":
        n = len(state.documents)
        return FaissStore.build(np.concatenate([vectors_of(i) for i in range(n)]) if n
                                else np.zeros((0, dim), np.float32))
    from .milvus import MilvusStore, article_key

    store = MilvusStore.open(spec, index.settings.model, EMBED_VERSION, dim)
    store.bind(state)
    # Rows the collection already holds: the previous generation's articles, by key (id and bytes,
    # so a renamed article, reused here by its bytes, still gets rows of its own).
    held = {article_key(d) for d in previous.documents} if previous is not None and store.holds(previous.store) else set()
    todo = [i for i, d in enumerate(state.documents) if i in parts or article_key(d) not in held]
    store.write(todo, (vectors_of(i) for i in todo), progress=progress)
    return store
