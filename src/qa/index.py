"""Index: the articles of one seeds folder, searchable, persisted under ``index/`` as generations.

The orchestrator: it scans the seeds, loads the current generation, and has a new one built
(qa/build.py) when the seeds, the model or the store changed; it checks and writes uploads, and
holds one lock per index folder for all of it. Files are qa/generation.py's, vectors qa/store.py's.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from . import attribute, build, ingest, names, provenance, segment
from .build import EMBED_VERSION, SEGMENT_VERSION, plural  # noqa: F401 (re-exported)
from .config import Settings
from .errors import BadIndex, NoIndex
from .generation import FORMAT, KEEP_GENERATIONS, build_lexical, current, load_generation, save_generation, write_atomic  # noqa: F401, E501
from .state import State, context
from .store import EXACT_LIMIT, DenseStore, FaissStore, Spec, build_faiss  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from .embed import Embedder, Encoder

log = logging.getLogger(__name__)


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
    store: where the vectors live (qa/store.py): "faiss" (default $QA_STORE, else faiss), a Milvus
        Lite file "PATH.db", or "http(s)://HOST:PORT" of a Milvus server; "URI#NAME" picks the collection.
    settings: a whole ``qa.config.Settings`` (also queue size and Ray), as the CLI builds it.

    Searching it: ``retrieve(question, k, docs, index)`` takes k from 1 to 100 and ``docs`` as a
    list of the ids of ``documents`` (file names without their suffix); see qa/retrieve.py.
    """

    def __init__(self, seeds: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                 model: str | None = None, *, store: str | None = None, settings: Settings | None = None):
        """Either ``settings`` or the paths and store: when ``settings`` is given it wins whole, and
        seeds, index, model and store are ignored; otherwise each comes from its argument, else its
        environment variable, else its default (``Settings.from_env``)."""
        self.settings = settings or Settings.from_env(seeds, index, model, store)
        self._state: State | None = None
        self._build_lock = threading.RLock()
        self.warnings: list[str] = []
        self.budget = segment.Budget()
        self._prepared: dict[str, build.Done] = {}  # sha256 -> an upload's work, done before the lock (add)

    # -- public ---------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        if self._state is None:
            self.refresh()
        assert self._state is not None
        return self._state

    @property
    def embedder(self) -> Embedder:
        from .embed import embedder

        return embedder(self.settings.model)

    @property
    def query_encoder(self) -> Encoder:
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
            if self._current_name() != (state.generation.name if state and state.generation else None):
                state = self._try_load(quiet=True)  # another process built one meanwhile
                if state is not None and self._fresh(state, seen):
                    self._state = state
                    return False
            self._state = build.generation(self, seen, progress, previous=state)
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
        from . import e5

        read = e5.passages([text[s.start:s.end] for s in spans]) if e5.enabled() else None
        self._prepared[doc.sha256] = build.Done(vectors=vectors, spans=spans, paragraphs=paras, speakers=who, e5=read)

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
        if m.get("model") != self.settings.model or m.get("embed") != EMBED_VERSION \
                or m.get("segment") != SEGMENT_VERSION or m.get("seeds") != seen \
                or (m.get("uploads") or {}) != self._uploads(seen) or not self._same_store(m.get("store") or {}):
            return False
        from . import e5

        if bool(m.get("e5")) != e5.enabled():  # e5 turned on (or off) since: its vectors made (or dropped)
            return False
        # another bank or rule: calibrate anew
        if len(state) and available() and Calibration.from_dict(m.get("calibration")) is None:
            return False
        self.warnings = list(m.get("skipped", {}).values())
        return True

    def _same_store(self, described: dict) -> bool:
        spec = Spec.parse(self.settings.store)
        if spec.kind == "faiss":
            return described.get("kind", "faiss") == "faiss"
        from .milvus import collection_name

        return (described.get("kind"), described.get("uri"), described.get("collection")) == \
            ("milvus", spec.uri, collection_name(spec, self.settings.model, EMBED_VERSION))

    @property
    def calibration(self):
        """This index's off-topic calibration (qa/answerable.py), or None when it has no sentences."""
        from .answerable import Calibration

        return Calibration.from_dict(self.state.manifest.get("calibration"))

