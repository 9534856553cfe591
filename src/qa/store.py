"""Store: where a generation's sentence vectors live and are searched, behind one seam.

Two implementations rank alike because neither ranks: a store returns candidate rows and the
cosine of the question with each, computed from the vectors it holds, and fusion, the second
stage and answerability (qa/retrieve.py, qa/rerank.py, qa/answerable.py) score them in this
project, the same formula whichever store found them. Engine-side score scales are never read.

- ``faiss`` (the default): the vectors in the generation folder, memory-mapped, with a FAISS index
  beside them (exact up to EXACT_LIMIT rows, an 8-bit inverted file above). One machine, no server.
- a path ending in ``.db``: Milvus Lite in this process; ``http://`` or ``https://``: a Milvus
  server or cluster (qa/milvus.py). For an archive past one machine's memory.

BM25 stays the generation's bm25s files for both (qa/lexical.py): Milvus's own BM25 computes IDF per
segment and per shard, so its scores would differ from the embedded index's on the same articles.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from .errors import BadIndex

if TYPE_CHECKING:
    from .state import State

EXACT_LIMIT = 20_000  # rows up to which an exact search costs less than encoding the question (bench/perf.py)
# Of 4*sqrt(n) lists: recall@10 0.96 against exact at 1M, 0.97 with 48 at a third more time
# (bench/perf.py). Searched on one core: faiss's parallel_mode=1 halves a search by spreading its
# lists over both, but its OpenMP threads then spin beside torch's, and encoding the next question
# took twice as long.
NPROBE = 32


@runtime_checkable
class DenseStore(Protocol):
    """The vectors of one generation's rows (row = position in State's arrays)."""

    kind: str  # "faiss" or "milvus"
    files: tuple[str, ...]  # what it keeps in the generation folder, checksummed by the manifest

    def __len__(self) -> int: ...

    def search(self, qvec: np.ndarray, k: int, rows: np.ndarray | None) -> np.ndarray:
        """Rows of about the k nearest sentences (any order), within ``rows`` when given."""

    def dense(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """The cosine of the question with each of the rows, from the stored vectors."""

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of the rows (float32), for a rebuild that reuses them."""

    def describe(self) -> dict:
        """What the manifest records of the store, and what a load checks it against."""

    def holds(self, other: DenseStore) -> bool:
        """Whether rows of ``other`` (a previous generation) are already in this store's engine,
        so a rebuild need not write an unchanged article's vectors again."""

    def save(self, folder: Path) -> None:
        """Write its files into a generation folder being built."""

    def saved(self, folder: Path) -> None:
        """The generation is in its final folder: read from there from now on."""

    def commit(self) -> None:
        """CURRENT names this generation: drop what only older generations used."""


@dataclass(frozen=True)
class Spec:
    """A ``--store`` / ``QA_STORE`` value, read once: ``faiss``, a Milvus Lite file, or a server."""

    kind: str
    uri: str | None = None
    collection: str | None = None

    @classmethod
    def parse(cls, value: str | None) -> Spec:
        value = (value or "faiss").strip()
        if value == "faiss":
            return cls("faiss")
        uri, _, collection = value.partition("#")  # a collection other than the default: URI#name
        if uri.startswith(("http://", "https://")):
            return cls("milvus", uri, collection or None)
        if uri.endswith(".db"):
            return cls("milvus", str(Path(uri).expanduser().resolve()), collection or None)
        from .errors import SettingError

        raise SettingError(f"--store {value!r}: use faiss, a Milvus Lite file ending in .db, or http(s)://host:port of a "
                      "Milvus server")


def build_faiss(vectors: np.ndarray) -> Any:
    """Exact inner product where it is cheap; past EXACT_LIMIT rows an inverted file over 8-bit
    scalar codes, with a direct map from row to code. Its scores are within 0.002 of the exact
    cosine, so the dense score of any candidate, found by this index or by BM25, is decoded from
    the codes in memory (FaissStore.dense) and a large index never reads its vectors file to answer:
    reading a few hundred random rows of a memory-mapped 1.5 GB file cost 1.4 ms a question in
    page faults, and left the whole file resident. recall@10 against exact is in bench/perf.py."""
    import faiss

    n, dim = vectors.shape
    index: Any
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
        index.make_direct_map()  # row -> (list, offset), saved with the index: what FaissStore.dense decodes
    return index


def map_vectors(path: Path) -> np.ndarray:
    """A generation's vectors, memory-mapped read-only rather than loaded: a small index scores its
    candidate rows from them, and a rebuild reuses the rows of unchanged articles, but neither
    needs the whole file in this process's own memory. Access is random, so the kernel is told not
    to read ahead around each row."""
    vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    raw = getattr(vectors, "_mmap", None)
    if raw is not None and hasattr(raw, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        raw.madvise(mmap.MADV_RANDOM)
    return vectors


class FaissStore:
    """The embedded default: ``vectors.npy`` and ``faiss.index`` in the generation folder."""

    kind = "faiss"
    files: tuple[str, ...] = ("vectors.npy", "faiss.index")

    def __init__(self, matrix: np.ndarray, index) -> None:
        self.matrix = matrix  # row -> unit vector; memory-mapped once saved
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> FaissStore:
        return cls(vectors, build_faiss(vectors))

    @classmethod
    def load(cls, folder: Path, count: int, dim: int) -> FaissStore:
        import faiss

        try:
            index = faiss.read_index(str(folder / "faiss.index"))
            matrix = map_vectors(folder / "vectors.npy")
        except Exception as exc:  # checksummed, so only a writer bug lands here
            raise BadIndex(f"unreadable vectors ({exc.__class__.__name__}: {exc})") from None
        if index.ntotal != count or index.d != dim or matrix.shape != (count, dim):
            raise BadIndex(f"manifest says {count} rows of dim {dim}, the vectors hold {index.ntotal} x {index.d}")
        if count > EXACT_LIMIT and getattr(getattr(index, "direct_map", None), "type", 0) == 0:
            raise BadIndex("the inverted file has no row map, so candidate rows cannot be scored")
        return cls(matrix, index)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def dense(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Exact from the vectors under EXACT_LIMIT rows, decoded from the inverted file's 8-bit
        codes above it (within 0.002), never a page of the vectors file."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(self) <= EXACT_LIMIT:
            return np.asarray(self.matrix[rows]) @ qvec
        return self.index.reconstruct_batch(rows) @ qvec

    def search(self, qvec: np.ndarray, k: int, rows: np.ndarray | None) -> np.ndarray:
        """A filter of a few thousand rows (one article, say) is scored row by row, which misses none
        and costs less than a faiss selector."""
        n = len(self) if rows is None else len(rows)
        k = min(k, n)
        if k == 0:
            return np.zeros(0, np.int64)
        if rows is not None and len(rows) <= EXACT_LIMIT:
            scores = self.dense(rows, qvec)
            return rows[np.argpartition(-scores, k - 1)[:k]]
        params = None
        if rows is not None:
            import faiss

            sel = faiss.IDSelectorBatch(rows.astype(np.int64))  # an inverted file takes only its own parameters
            approximate = len(self) > EXACT_LIMIT
            swig: Any = faiss  # its stubs do not know the parameter classes' keyword arguments
            params = swig.SearchParametersIVF(sel=sel, nprobe=self.index.nprobe) if approximate \
                else swig.SearchParameters(sel=sel)
        _, ids = self.index.search(qvec.reshape(1, -1).astype(np.float32), k, params=params)
        return ids[0][ids[0] >= 0]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[rows], dtype=np.float32)

    def describe(self) -> dict:
        return {"kind": self.kind}

    def holds(self, other: DenseStore) -> bool:
        return False  # every generation writes its own vectors file

    def save(self, folder: Path) -> None:
        import faiss

        np.save(folder / "vectors.npy", np.ascontiguousarray(self.matrix, dtype=np.float32), allow_pickle=False)
        faiss.write_index(self.index, str(folder / "faiss.index"))

    def saved(self, folder: Path) -> None:
        self.matrix = map_vectors(folder / "vectors.npy")  # the file, not a copy in memory

    def commit(self) -> None:
        return None


def load_store(folder: Path, manifest: dict, state: State) -> DenseStore:
    """The store a generation's manifest names, checked against its row count."""
    described = manifest.get("store") or {"kind": "faiss"}
    count, dim = int(manifest.get("count") or 0), int(manifest.get("dim") or 0)
    if described.get("kind") == "faiss":
        return FaissStore.load(folder, count, dim)
    if described.get("kind") == "milvus":
        from .milvus import MilvusStore

        return MilvusStore.load(described, state, count, dim)
    raise BadIndex(f"unknown store {described.get('kind')!r}")
