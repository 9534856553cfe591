"""Index: the sentences of every article, their vectors in FAISS, persisted under ``index/``.

On disk an index is a *generation*: a folder holding ``manifest.json``, ``passages.json``
(documents and speakers), ``rows.npz`` (where each sentence stands), ``vectors.npy``,
``faiss.index`` and the BM25 indexes of the sentences and the paragraphs (``bm25-*/``), named by
the file ``CURRENT``. A build writes a new
generation beside the old one and then replaces ``CURRENT`` in one ``os.replace``, so a crash at
any instant leaves one loadable index, old or new. The manifest carries a checksum of every file,
the model and a hash of every seed file: a damaged, mismatched or stale index is detected on
load and rebuilt from the seeds, and no file is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import attribute, ingest, names, provenance, segment
from .config import Settings
from .errors import BadIndex, NoIndex
from .lexical import SAVED, Lexical

log = logging.getLogger("qa")

FORMAT = 4
EMBED_VERSION = 3  # bump when what is embedded for a sentence changes, so old vectors are not reused
# (3: titles from the article itself, a .txt headline line is no longer paragraph 1)
EXACT_LIMIT = 20_000  # rows up to which an exact search costs less than encoding the question (bench/perf.py)
LEXICAL = ("bm25-sentences", "bm25-paragraphs")  # over contexts() and paragraph_texts()
FILES = ("passages.json", "rows.npz", "vectors.npy", "faiss.index") + tuple(f"{d}/{f}" for d in LEXICAL for f in SAVED)
# Arrays of one entry per sentence or paragraph, kept as arrays on disk: read as JSON lists, a million
# rows took most of a 3.3 s load and left 140 MB of freed Python integers in the process.
ROW_ARRAYS = {"doc": np.int32, "paragraph": np.int32, "sentence": np.int32, "start": np.int64, "end": np.int64,
              "para": np.int64, "para_doc": np.int32, "para_start": np.int64, "para_end": np.int64}


def plural(n: int, word: str) -> str:
    """ "1 article", "2 articles", "1,000 sentences"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


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
    vectors: np.ndarray  # row -> unit vector, memory-mapped once saved (see dense())
    faiss: object
    manifest: dict
    generation: Path | None = None
    lexical: tuple[Lexical, Lexical] | None = None  # BM25 of sentences, of paragraphs; built when saved
    _rows_by_doc: dict[str, np.ndarray] = field(default_factory=dict)
    _para_first_row: np.ndarray | None = None
    _uploads: dict[str, dict] | None = None

    def upload_of(self, doc_id: str) -> dict | None:
        """The provenance record of an uploaded article (file, original_name, uploaded_at); None for a seed."""
        if self._uploads is None:
            self._uploads = {Path(f).stem: u for f, u in (self.manifest.get("uploads") or {}).items()}
        return self._uploads.get(doc_id)

    def __len__(self) -> int:
        return len(self.doc)

    def dense(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Cosine of the question with each row: exact from the vectors under EXACT_LIMIT rows, decoded
        from the inverted file's 8-bit codes above it (within 0.002), never a page of the vectors file."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(self) <= EXACT_LIMIT:
            return np.asarray(self.vectors[rows]) @ qvec
        return self.faiss.reconstruct_batch(rows) @ qvec

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


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old bytes or the new, never a part."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        _write(tmp, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build_faiss(vectors: np.ndarray):
    """Exact inner product where it is cheap; past EXACT_LIMIT rows an inverted file over 8-bit
    scalar codes, with a direct map from row to code. Its scores are within 0.002 of the exact
    cosine, so the dense score of any candidate, found by this index or by BM25, is decoded from
    the codes in memory (State.dense) and a large index never reads its vectors file to answer:
    reading a few hundred random rows of a memory-mapped 1.5 GB file cost 1.4 ms a question in
    page faults, and left the whole file resident. recall@10 against exact is in bench/perf.py."""
    import faiss

    n, dim = vectors.shape
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(4 * np.sqrt(n))  # against 2*sqrt(n): at 1M, recall 0.961 in 0.55 ms where that gave 0.954 in 0.67
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 10  # k-means converges well before faiss's default 25 on sentence embeddings
        sample = vectors[np.sort(np.random.default_rng(0).choice(n, size=min(n, 40 * nlist), replace=False))]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.nprobe = NPROBE
    for at in range(0, n, 100_000):  # in slices, so a mapped or on-disk matrix is never copied whole
        index.add(np.ascontiguousarray(vectors[at:at + 100_000], dtype=np.float32))
    if n > EXACT_LIMIT:
        index.make_direct_map()  # row -> (list, offset), saved with the index: what State.dense decodes
    return index


# Of 4*sqrt(n) lists: recall@10 0.96 against exact at 1M, 0.97 with 48 at a third more time
# (bench/perf.py). Searched on one core: faiss's parallel_mode=1 halves a search by spreading its
# lists over both, but its OpenMP threads then spin beside torch's, and encoding the next question
# took twice as long.
NPROBE = 32


def map_vectors(path: Path) -> np.ndarray:
    """A generation's vectors, memory-mapped read-only rather than loaded: a small index scores its
    candidate rows from them, and a rebuild reuses the rows of unchanged articles, but neither
    needs the whole file in this process's own memory. Access is random, so the kernel is told not
    to read ahead around each row."""
    import mmap

    vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    raw = getattr(vectors, "_mmap", None)
    if raw is not None and hasattr(raw, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        raw.madvise(mmap.MADV_RANDOM)
    return vectors


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


@dataclass
class _Done:
    vectors: np.ndarray | None  # None: segmented here, to be encoded with the others
    spans: list[segment.Span]
    paragraphs: list[tuple[int, int]]
    speakers: list[str | None]


class Index:
    """The articles of one seeds folder, searchable; safe to share between threads.

    Pass it as ``index=`` to ``retrieve``, ``answer``, ``qa.library`` and ``qa.speakers`` (without
    one they use the index of QA_SEEDS/QA_INDEX, kept for the process). Nothing is read until first
    use: ``state`` (or ``refresh()``) loads the index under ``settings.index``, building or updating
    it when the seeds or the model changed, and raises SeedsMissing when the seeds folder does not
    exist.

    seeds: the folder of articles (.txt, .md, .html, .pdf, .docx); default $QA_SEEDS, else ./seeds.
    index: the folder the index is kept in (created if missing); default $QA_INDEX, else ./index.
    model: a sentence-transformers model, by name or local folder; default $QA_MODEL, else the
        packaged all-MiniLM-L6-v2. A model that cannot be loaded is a ModelError on first use.
    settings: a whole ``qa.config.Settings`` (also store and queue size), as the CLI builds it.

    Searching it: ``retrieve(question, k, docs, index)`` takes k from 1 to 100 and ``docs`` as a
    list of the ids of ``documents`` (file names without their suffix); see qa/retrieve.py.
    """

    def __init__(self, seeds: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                 model: str | None = None, *, settings: Settings | None = None):
        """Either ``settings`` or the three paths: when ``settings`` is given it wins whole, and
        seeds, index and model are ignored; otherwise each comes from its argument, else its
        environment variable, else its default (``Settings.from_env``)."""
        self.settings = settings or Settings.from_env(seeds, index, model)
        self._state: State | None = None
        self._build_lock = threading.RLock()
        self.warnings: list[str] = []
        self.budget = segment.Budget()
        self._prepared: dict[str, _Done] = {}  # sha256 -> an upload's work, done before the lock (add)

    # -- public ---------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        if self._state is None:
            self.refresh()
        assert self._state is not None
        return self._state

    @property
    def embedder(self):
        from .embed import embedder

        return embedder(self.settings.model)

    @property
    def query_encoder(self):
        from .embed import query_encoder

        return query_encoder(self.settings.model)

    @property
    def documents(self) -> list[ingest.Document]:
        return self.state.documents

    def document(self, doc_id: str) -> ingest.Document | None:
        return next((d for d in self.state.documents if d.id == doc_id), None)

    def refresh(self, progress: bool = False) -> bool:
        """Load the persisted index, rebuilding what the seeds or the model changed; True if rebuilt."""
        if not self.settings.seeds.is_dir():
            from .config import seeds_missing

            raise seeds_missing(self.settings.seeds)
        with self._build_lock:
            return self._refresh_locked(progress)

    def _refresh_locked(self, progress: bool = False) -> bool:
        seen = self._scan()
        state = self._try_load(quiet=False)
        if state is not None and self._fresh(state, seen):
            self._state = state
            return False
        from filelock import FileLock

        self.settings.index.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.settings.index / ".lock")):
            seen = self._scan()
            if self._current_name() != (state.generation.name if state else None):
                state = self._try_load(quiet=True)  # another process built one meanwhile
                if state is not None and self._fresh(state, seen):
                    self._state = state
                    return False
            self._state = self._build(seen, progress, previous=state)
        return True

    def add(self, name: str, data: bytes, original_name: str | None = None, visitor: bool = True) -> ingest.Document:
        """Validate an uploaded article, write it into the seeds folder and index it; nothing changes
        on error (IngestError says why, in one line).

        The name is normalised (qa/names.py) and compared with every article's by key, so an upload
        never shadows one already there. The costly steps (parse, split, attribute, encode) run
        before the lock, so one large upload never holds up another's name check; the check, the
        write, the ledger and the rebuild run under it, so two uploads of one new name cannot both be
        told "Added" (before: one of the two files was lost in 2 of 3 tries). ``visitor=False`` is
        the operator's own ``qa add``: a curated article, so no upload is recorded for it.
        """
        stored = names.stored_name(name)
        doc = ingest.parse(stored, data)  # raises IngestError with a message for the user
        self.prepare(doc)
        folder = self.settings.seeds
        with self._build_lock:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / stored
            wanted = names.key(stored)
            clash = [p for p in ingest.seed_files(folder) if names.key(p.name) == wanted]
            if clash:
                self._prepared.pop(doc.sha256, None)
                raise ingest.IngestError(f"{stored}: an article named {clash[0].stem!r} is already here; "
                                         f"rename the file")
            ledger = provenance.read(folder)
            if visitor:
                ledger[stored] = provenance.Upload.now(stored, original_name or name)
            write_atomic(target, data)
            try:
                if visitor:
                    provenance.write(folder, ledger)
                self._refresh_locked()
            except Exception:
                target.unlink(missing_ok=True)
                if visitor:
                    ledger.pop(stored, None)
                    provenance.write(folder, ledger)
                raise
            finally:
                self._prepared.pop(doc.sha256, None)
            if self.document(doc.id) is None:  # skipped at build (over budget): say so, keep nothing
                target.unlink(missing_ok=True)
                if visitor:
                    ledger.pop(stored, None)
                    provenance.write(folder, ledger)
                why = next((w for w in self.warnings if w.startswith(f"skipped {stored}")), "it could not be indexed")
                self._refresh_locked()
                raise ingest.IngestError(why.removeprefix("skipped "))
        return doc

    def prepare(self, doc: ingest.Document) -> None:
        """Split, attribute and encode one document ahead of a build (outside any lock), kept by hash
        for the next build; TooLong (an IngestError) when it is over the budget."""
        try:
            spans = segment.segment(doc.text, doc.body_start, self.budget)
        except segment.TooLong as exc:
            raise ingest.IngestError(f"{doc.id}: {exc}") from None
        paras = segment.paragraphs(doc.text, doc.body_start)
        who = attribute.speakers(doc.text, [(s.paragraph, s.start, s.end) for s in spans])
        text = doc.text
        vectors = self.embedder.encode([context(doc, w, text[s.start:s.end]) for s, w in zip(spans, who)])
        self._prepared[doc.sha256] = _Done(vectors=vectors, spans=spans, paragraphs=paras, speakers=who)

    # -- loading ----------------------------------------------------------------------------------
    def _scan(self) -> dict[str, str]:
        """File name -> sha256 of every article file now in the seeds folder."""
        out = {}
        for path in ingest.seed_files(self.settings.seeds):
            try:
                out[path.name] = ingest.file_hash(path.read_bytes())
            except OSError:
                out[path.name] = "unreadable"
        return out

    def _current_name(self) -> str | None:
        try:
            return current(self.settings.index).name
        except BadIndex:
            return None

    def _try_load(self, quiet: bool) -> State | None:
        """The generation CURRENT names, verified; damage is reported once, in one line."""
        for attempt in range(3):
            folder = None
            try:
                folder = current(self.settings.index)
                return load_generation(folder)
            except NoIndex:
                return None
            except BadIndex as exc:
                if attempt < 2 and folder is not None and self._current_name() != folder.name:
                    continue  # a writer switched CURRENT and pruned this one while it was read: read the new one
                if not quiet:
                    log.warning("index %s: %s; rebuilding from the seeds", self.settings.index, exc)
                return None
        return None

    def _uploads(self, seen: dict[str, str]) -> dict[str, dict]:
        """The ledger's records of the files now present: what the manifest must agree with."""
        return {f: u.to_dict() for f, u in provenance.read(self.settings.seeds).items() if f in seen}

    def _fresh(self, state: State, seen: dict[str, str]) -> bool:
        from .answerable import Calibration, available

        m = state.manifest
        if m.get("model") != self.settings.model or m.get("embed") != EMBED_VERSION or m.get("seeds") != seen \
                or (m.get("uploads") or {}) != self._uploads(seen):
            return False
        if len(state) and available() and Calibration.from_dict(m.get("calibration")) is None:  # another bank or rule: calibrate anew
            return False
        self.warnings = list(m.get("skipped", {}).values())
        return True

    @property
    def calibration(self):
        """This index's off-topic calibration (qa/answerable.py), or None when it has no sentences."""
        from .answerable import Calibration

        return Calibration.from_dict(self.state.manifest.get("calibration"))

    # -- building ---------------------------------------------------------------------------------
    def _calibration(self, state: State) -> dict:
        from .answerable import available, bank_vectors, calibrate

        if not len(state) or not available():
            return {}
        return {"calibration": calibrate(state, bank_vectors(self.settings.model)).to_dict()}

    def _reusable(self, previous: State | None) -> dict[str, "_Done"]:
        """What the previous generation knows of each document, by hash: an unchanged article is
        neither segmented nor encoded again."""
        if previous is None or previous.manifest.get("model") != self.settings.model \
                or previous.manifest.get("embed") != EMBED_VERSION:
            return {}
        out = {}
        for i, d in enumerate(previous.documents):
            rows = previous.rows_of(d.id)
            pids = np.flatnonzero(previous.para_doc == i)
            out[d.sha256] = _Done(
                vectors=previous.vectors[rows],
                spans=[segment.Span(int(previous.paragraph[r]), int(previous.start[r]), int(previous.end[r])) for r in rows],
                paragraphs=[(int(previous.para_start[p]), int(previous.para_end[p])) for p in pids],
                speakers=[previous.speaker[r] for r in rows])
        return out

    def _build(self, seen: dict[str, str], progress: bool, previous: State | None = None) -> State:
        started = time.perf_counter()
        documents, skipped = [], {}
        uploads = self._uploads(seen)
        # One article per name key (qa/names.py): a curated seed wins over an upload of the same key,
        # then the older file over the newer (a copy planted before names were compared by key).
        files = ingest.seed_files(self.settings.seeds)
        owner: dict[str, Path] = {}

        def age(p: Path) -> float:
            try:
                return p.stat().st_mtime
            except OSError:
                return float("inf")

        for path in sorted(files, key=lambda p: (p.name in uploads, age(p), p.name)):
            owner.setdefault(names.key(path.name), path)
        reuse = self._reusable(previous)
        spans, paras, speakers = [], [], []
        for path in files:
            first = owner[names.key(path.name)]
            if first != path:
                skipped[path.name] = f"skipped {path.name}: the article {first.name} already has that name"
                log.warning(skipped[path.name])
                continue
            try:
                doc = ingest.load(path)
                done = reuse.get(doc.sha256) or self._prepared.get(doc.sha256)
                if done is None:  # new or changed file, bounded by the budget: a bad seed is skipped, not waited on
                    text = doc.text
                    try:
                        found = segment.segment(text, doc.body_start, self.budget)
                    except segment.TooLong as exc:
                        raise ingest.IngestError(f"{path.name}: {exc}") from None
                    done = _Done(vectors=None, spans=found, paragraphs=segment.paragraphs(text, doc.body_start),
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
        self.warnings = list(skipped.values())
        fresh = [i for i, d in enumerate(documents) if d.sha256 not in reuse]
        todo = [context(documents[i], w, text[s.start:s.end])
                for i in fresh for text in [documents[i].text] for s, w in zip(spans[i], speakers[i])]
        # sentence-transformers takes 9 s to import on a busy machine: a build with nothing new to
        # encode (a restart that only skips a refused seed) does not load it.
        if todo:
            embedder = self.embedder
            encoded, dim = embedder.encode(todo, progress=progress), embedder.dim
        else:
            dim = (previous.manifest.get("dim") if previous is not None else None) or self.query_encoder.dim
            encoded = np.zeros((0, dim), np.float32)
        parts, at = [], 0
        fresh_set = set(fresh)
        for i, d in enumerate(documents):
            if i in fresh_set:
                parts.append(encoded[at:at + len(spans[i])])
                at += len(spans[i])
            else:
                parts.append(np.asarray(reuse[d.sha256].vectors, dtype=np.float32))
        vectors = np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)
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
            vectors=vectors,
            faiss=build_faiss(vectors),
            manifest={},
        )
        state.manifest = {
            "format": FORMAT, "model": self.settings.model, "embed": EMBED_VERSION, "dim": int(dim),
            "count": len(rows), "seeds": seen, "skipped": skipped, "uploads": uploads,
            "documents": {d.id: d.sha256 for d in documents},
            "encoded": len(todo), "seconds": round(time.perf_counter() - started, 3),
        }
        state.generation = save_generation(self.settings.index, state, extra=self._calibration)
        log.info("indexed %s of %s (%s encoded) in %.1fs", plural(len(rows), "sentence"),
                 plural(len(documents), "article"), plural(len(encoded), "text"), time.perf_counter() - started)
        return state


_GENERATION = re.compile(r"gen-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}")
# Generations kept on disk: the current one and the one before, for a process that read CURRENT a
# moment before it changed. Kept by count, not age: keeping every generation younger than 60 s let
# 200 tiny uploads in 65 s leave 183 generations (3.1 GB). A reader in this process holds its
# generation's files open or mapped, which deleting them does not disturb; a reader in another
# process that loses the race reads CURRENT again (Index._try_load).
KEEP_GENERATIONS = 2


def current(root: Path) -> Path:
    """The generation CURRENT names; only a generation folder inside ``root`` is accepted."""
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise NoIndex("no index yet") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadIndex(f"unreadable CURRENT ({exc.__class__.__name__})") from None
    if not _GENERATION.fullmatch(name):
        raise BadIndex(f"CURRENT names {name[:40]!r}, which is not a generation folder")
    return root / name


def build_lexical(state: State) -> tuple[Lexical, Lexical]:
    out = Lexical.build(state.contexts()), Lexical.build(state.paragraph_texts())
    release_freed_memory()
    return out


def release_freed_memory() -> None:
    """Tokenizing a corpus or parsing its passages frees millions of small objects that glibc would
    otherwise keep resident (250 MB at a million sentences); handing them back keeps a server's
    footprint to what the index really holds."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def save_generation(root: Path, state: State, extra=None) -> Path:
    """Write a generation beside the current one, then switch CURRENT to it in one atomic step.
    ``extra(state)`` may add entries to the manifest once the state is searchable (BM25 built)."""
    import faiss

    root.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    passages = {"documents": [d.to_dict() for d in state.documents], "speaker": state.speaker}
    (tmp / "passages.json").write_bytes(json.dumps(passages, ensure_ascii=False).encode("utf-8"))
    np.savez(tmp / "rows.npz", **{k: np.asarray(getattr(state, k), dtype=t) for k, t in ROW_ARRAYS.items()})
    np.save(tmp / "vectors.npy", np.ascontiguousarray(state.vectors, dtype=np.float32), allow_pickle=False)
    faiss.write_index(state.faiss, str(tmp / "faiss.index"))
    if state.lexical is None:
        state.lexical = build_lexical(state)
    for folder, lex in zip(LEXICAL, state.lexical):
        (tmp / folder).mkdir()
        lex.save(tmp / folder)
    for path in (*(tmp / f for f in FILES), *(tmp / d for d in LEXICAL), tmp):  # on disk before CURRENT names them
        _fsync(path)
    manifest = dict(state.manifest, **(extra(state) if extra else {}), files={f: _sha(tmp / f) for f in FILES})
    _write(tmp / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8"))
    state.manifest = manifest
    final = root / name
    os.replace(tmp, final)
    state.vectors = map_vectors(final / "vectors.npy")  # the files, not copies in memory
    state.lexical = tuple(Lexical.load(final / folder) for folder in LEXICAL)
    write_atomic(root / "CURRENT", name.encode("utf-8"))
    _fsync(root)
    prune(root, keep=name)
    return final


def prune(root: Path, keep: str | None = None) -> list[str]:
    """Remove all but the KEEP_GENERATIONS newest generations (always keeping ``keep``, the one just
    made current) and any half-written ``.tmp-`` folder; called with the index's file lock held, so
    no other writer's folder is in progress. Returns the names removed."""
    gens = sorted((p for p in root.iterdir() if p.is_dir() and _GENERATION.fullmatch(p.name)),
                  key=lambda p: (p.name == keep, p.stat().st_mtime, p.name), reverse=True)
    doomed = gens[KEEP_GENERATIONS:] + [p for p in root.iterdir() if p.is_dir() and p.name.startswith(".tmp-")]
    for old in doomed:
        shutil.rmtree(old, ignore_errors=True)
    return [p.name for p in doomed]


def _fsync(path: Path) -> None:
    """Flush a file or a folder's entries to disk, so a power cut cannot leave CURRENT naming a hole."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_generation(folder: Path) -> State:
    """Load and verify one generation; any damage raises BadIndex instead of reading bad bytes."""
    import faiss

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadIndex("no manifest") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadIndex(f"unreadable manifest ({exc.__class__.__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadIndex(f"index format {manifest.get('format') if isinstance(manifest, dict) else '?'} is not {FORMAT}")
    sums = manifest.get("files") or {}
    for name in FILES:
        path = folder / name
        if not path.exists():
            raise BadIndex(f"{name} is missing")
        if _sha(path) != sums.get(name):
            raise BadIndex(f"{name} does not match its checksum (truncated or corrupted)")
    try:
        p = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
        documents, speaker = [ingest.Document(**d) for d in p["documents"]], p["speaker"]
        del p  # the parsed texts, now held as UTF-8 by the documents (see release_freed_memory)
        with np.load(folder / "rows.npz", allow_pickle=False) as z:
            arrays = {k: np.asarray(z[k], dtype=t) for k, t in ROW_ARRAYS.items()}
        index = faiss.read_index(str(folder / "faiss.index"))
        vectors = map_vectors(folder / "vectors.npy")
        lexical = tuple(Lexical.load(folder / d) for d in LEXICAL)
    except Exception as exc:  # checksummed, so only a writer bug lands here
        raise BadIndex(f"unreadable index files ({exc.__class__.__name__}: {exc})") from None
    count = manifest.get("count")
    rows = {len(arrays[k]) for k in ("doc", "paragraph", "sentence", "start", "end", "para")} | {len(speaker)}
    if (index.ntotal != count or rows != {count} or len({len(arrays[k]) for k in ("para_doc", "para_start", "para_end")}) != 1 or index.d != manifest.get("dim")
            or vectors.shape != (count, index.d) or (len(lexical[0]), len(lexical[1])) != (count, len(arrays["para_doc"]))):
        raise BadIndex(f"manifest says {count} rows of dim {manifest.get('dim')}, files hold "
                          f"{index.ntotal} x {index.d}, {sorted(rows)} passages and BM25 of {len(lexical[0])}")
    if count > EXACT_LIMIT and getattr(getattr(index, "direct_map", None), "type", 0) == 0:
        raise BadIndex("the inverted file has no row map, so candidate rows cannot be scored")
    release_freed_memory()
    return State(documents=documents, speaker=speaker, vectors=vectors, faiss=index, manifest=manifest,
                 generation=folder, lexical=lexical, **arrays)
