"""Generation: an index as files, written beside the last one and switched to in one step.

A generation is a folder holding ``manifest.json``, ``passages.json`` (documents and speakers),
``rows.npz`` (where each sentence stands), the store's files (qa/store.py: for FAISS,
``vectors.npy`` and ``faiss.index``) and the BM25 indexes of the sentences and the paragraphs
(``bm25-*/``), named by the file ``CURRENT``. A crash at any instant leaves one loadable index, old
or new. The manifest carries a checksum of every file, the model and a hash of every seed file: a
damaged, mismatched or stale index is detected on load and rebuilt, and nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import ingest
from .errors import BadIndex, NoIndex
from .lexical import SAVED, Lexical
from .state import ROW_ARRAYS, State
from .store import load_store

FORMAT = 4  # a manifest that names no store is a FAISS one (as every format-4 index before the seam)
LEXICAL = ("bm25-sentences", "bm25-paragraphs")  # over contexts() and paragraph_texts()
COMMON = ("passages.json", "rows.npz") + tuple(f"{d}/{f}" for d in LEXICAL for f in SAVED)
E5_FILE = "e5.npy"  # the sentences as the second stage's e5 reads them (qa/e5.py); absent when built without


class RowFile:
    """A 2-D ``.npy`` file read a few rows at a time with ``os.pread``, neither loaded nor
    memory-mapped: the second stage reads ~30 scattered rows of ``e5.npy`` a question. Why not
    mmap: at 1M sentences, 300 questions mapped 600 MB of it into the serving process (the kernel
    maps the neighbouring pages on every fault, ``MADV_RANDOM`` or not) and broke the 1 GB bound
    (bench/perf.py: 1,138 MB against 755 MB without e5); read this way the pages stay in the page
    cache, out of the process. Indexing with an array of rows gives an array, as numpy would."""

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(f)
            offset = f.tell()
        if len(shape) != 2 or fortran:
            raise ValueError(f"{path.name}: not a C-ordered 2-D array")
        self.path, self.shape, self.dtype, self._offset = path, tuple(shape), np.dtype(dtype), offset
        self._row = self.shape[1] * self.dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)  # kept open: a pruned generation's file still reads

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        n = self.shape[0]
        if isinstance(rows, slice):
            flat, scalar = np.arange(*rows.indices(n)), False
        else:
            idx = np.asarray(rows, dtype=np.int64)
            flat, scalar = np.atleast_1d(idx) % max(n, 1), idx.ndim == 0
            if idx.size and (idx.min() < -n or idx.max() >= n):
                raise IndexError(f"row out of range for {n} rows")
        out = np.empty((len(flat), self.shape[1]), self.dtype)
        cuts = np.flatnonzero(np.diff(flat) != 1) + 1  # one read per run of consecutive rows (an article's are)
        for i, j in zip(np.r_[0, cuts], np.r_[cuts, len(flat)]) if len(flat) else ():
            data = os.pread(self._fd, int(j - i) * self._row, self._offset + int(flat[i]) * self._row)
            out[i:j] = np.frombuffer(data, self.dtype).reshape(j - i, self.shape[1])
        return out[0] if scalar else out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def __del__(self) -> None:
        try:
            os.close(self._fd)
        except (AttributeError, OSError):
            pass


_GENERATION = re.compile(r"gen-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}")
# Generations kept on disk: the current one and the one before, for a process that read CURRENT a
# moment before it changed. Kept by count, not age: keeping every generation younger than 60 s let
# 200 tiny uploads in 65 s leave 183 generations (3.1 GB). A reader in this process holds its
# generation's files open or mapped, which deleting them does not disturb; a reader in another
# process that loses the race reads CURRENT again (Index._try_load).
KEEP_GENERATIONS = 2


def sha256_file(path: Path) -> str:
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


def fsync(path: Path) -> None:
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


def save_generation(root: Path, state: State, extra: Callable[[State], dict] | None = None) -> Path:
    """Write a generation beside the current one, then switch CURRENT to it in one atomic step.
    ``extra(state)`` may add entries to the manifest once the state is searchable (BM25 built)."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    files = COMMON + state.store.files
    passages = {"documents": [d.to_dict() for d in state.documents], "speaker": state.speaker}
    (tmp / "passages.json").write_bytes(json.dumps(passages, ensure_ascii=False).encode("utf-8"))
    arrays: dict[str, Any] = {k: np.asarray(getattr(state, k), dtype=t) for k, t in ROW_ARRAYS.items()}
    if state.doc_centroids is not None:
        arrays["centroids"] = np.asarray(state.doc_centroids, dtype=np.float32)
    if state.e5 is not None:  # made here from the vectors in hand, so serving never reads e5.npy for them
        arrays["e5_centroids"] = state.e5_articles(np.arange(len(state.documents)))
    np.savez(tmp / "rows.npz", **arrays)
    if state.e5 is not None:  # its own file, so serving reads its rows from disk instead of holding it
        np.save(tmp / E5_FILE, np.asarray(state.e5, dtype=np.float16), allow_pickle=False)
        files = (*files, E5_FILE)
    state.store.save(tmp)
    if state.lexical is None:
        state.lexical = build_lexical(state)
    for folder, lex in zip(LEXICAL, state.lexical):
        (tmp / folder).mkdir()
        lex.save(tmp / folder)
    for path in (*(tmp / f for f in files), *(tmp / d for d in LEXICAL), tmp):  # on disk before CURRENT names them
        fsync(path)
    manifest = dict(state.manifest, **(extra(state) if extra else {}), store=state.store.describe(),
                    files={f: sha256_file(tmp / f) for f in files})
    _write(tmp / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8"))
    state.manifest = manifest
    final = root / name
    os.replace(tmp, final)
    state.store.saved(final)
    if state.e5 is not None:
        state.e5 = RowFile(final / E5_FILE)
    state.lexical = (Lexical.load(final / LEXICAL[0]), Lexical.load(final / LEXICAL[1]))
    write_atomic(root / "CURRENT", name.encode("utf-8"))
    fsync(root)
    prune(root, keep=name)
    state.store.commit()
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


def load_generation(folder: Path) -> State:
    """Load and verify one generation; any damage raises BadIndex instead of reading bad bytes."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadIndex("no manifest") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadIndex(f"unreadable manifest ({exc.__class__.__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadIndex(f"index format {manifest.get('format') if isinstance(manifest, dict) else '?'} is not {FORMAT}")
    sums = manifest.get("files") or {}
    kind = (manifest.get("store") or {"kind": "faiss"}).get("kind")
    expected = COMMON + (("vectors.npy", "faiss.index") if kind == "faiss" else ()) + ((E5_FILE,) if E5_FILE in sums else ())
    for name in expected:
        path = folder / name
        if not path.exists():
            raise BadIndex(f"{name} is missing")
        if sha256_file(path) != sums.get(name):
            raise BadIndex(f"{name} does not match its checksum (truncated or corrupted)")
    try:
        p = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
        documents, speaker = [ingest.Document(**d) for d in p["documents"]], p["speaker"]
        del p  # the parsed texts, now held as UTF-8 by the documents (see release_freed_memory)
        with np.load(folder / "rows.npz", allow_pickle=False) as z:
            arrays: dict[str, Any] = {k: np.asarray(z[k], dtype=t) for k, t in ROW_ARRAYS.items()}
            centroids = np.asarray(z["centroids"], dtype=np.float32) if "centroids" in z.files else None
            e5_centroids = np.asarray(z["e5_centroids"], dtype=np.float32) if "e5_centroids" in z.files else None
        lexical = (Lexical.load(folder / LEXICAL[0]), Lexical.load(folder / LEXICAL[1]))
        e5 = RowFile(folder / E5_FILE) if E5_FILE in sums else None
    except Exception as exc:  # checksummed, so only a writer bug lands here
        raise BadIndex(f"unreadable index files ({exc.__class__.__name__}: {exc})") from None
    count = manifest.get("count")
    rows = {len(arrays[k]) for k in ("doc", "paragraph", "sentence", "start", "end", "para")} | {len(speaker)}
    paras = {len(arrays[k]) for k in ("para_doc", "para_start", "para_end")}
    if centroids is not None and centroids.shape[0] != len(documents):
        raise BadIndex(f"{len(documents)} articles but {centroids.shape[0]} article vectors")
    if e5_centroids is not None and e5_centroids.shape[0] != len(documents):
        raise BadIndex(f"{len(documents)} articles but {e5_centroids.shape[0]} e5 article vectors")
    if e5 is not None and e5.shape != (count, 384):
        raise BadIndex(f"manifest says {count} rows, {E5_FILE} holds {e5.shape[0]}")
    if rows != {count} or len(paras) != 1 or (len(lexical[0]), len(lexical[1])) != (count, len(arrays["para_doc"])):
        raise BadIndex(f"manifest says {count} rows, files hold {sorted(rows)} passages and BM25 of {len(lexical[0])}")
    state = State(documents=documents, speaker=speaker, store=None, manifest=manifest,  # type: ignore[arg-type]
                  generation=folder, lexical=lexical, doc_centroids=centroids, e5=e5,
                  e5_centroids=e5_centroids if e5 is not None else None,
                  **arrays)
    state.store = load_store(folder, manifest, state)
    release_freed_memory()
    return state
