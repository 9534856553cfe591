"""Milvus: the sentence vectors in a Milvus collection, for an archive past one machine.

``--store path.db`` opens Milvus Lite in this process; ``--store http://host:19530`` a Milvus
server or cluster over gRPC (token from ``QA_MILVUS_TOKEN``); ``URI#name`` picks the collection
(default ``article_qa_<model>_e<embed version>``; one collection per index). Only vectors live
there: the rows, the texts and BM25 stay in the generation folder, and ranking stays ours
(qa/store.py), so Milvus and FAISS rank the same candidates by the same formula.

Each row is keyed ``<article key>:<sentence>``, the article key a hash of its id and its bytes,
so a rebuild writes only the rows of new or changed articles and deletes only those of articles
gone. What is atomic: CURRENT still switches in one step, but Milvus has no transaction across
rows, so writes are ordered for it. New rows are upserted (idempotent: a retried build never
duplicates) *before* CURRENT names the generation that uses them, and the rows of removed articles
are deleted *after*; a reader of either generation sees every row it knows of, and ignores
rows it does not. A crash between the two leaves rows of no generation, deleted by the next load or
build. A collection emptied or dropped behind the index's back is found on load (row count) and
rebuilt from the seeds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import BadIndex, QAError
from .store import Spec

if TYPE_CHECKING:
    from .ingest import Document
    from .state import State
    from .store import DenseStore

log = logging.getLogger(__name__)

BATCH = 100  # rows per write: Milvus Lite 2.5 took 1,000-1,600 rows/s in batches of 100, 400-650 in batches of 200-2,000
FETCH = 1_000  # keys per get
MAX_LIMIT = 16_384  # Milvus's top-k ceiling
CACHE = 20_000  # fetched vectors kept per store: 30 MB at 384 dims
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def client(uri: str):
    """One client per URI in a process (Milvus Lite allows one opener of a file)."""
    with _clients_lock:
        if uri not in _clients:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # milvus_lite imports pkg_resources, which warns
                try:
                    from pymilvus import MilvusClient
                except ImportError:
                    raise QAError("--store milvus needs pymilvus: pip install 'article-qa[milvus]'") from None
                try:
                    _clients[uri] = MilvusClient(uri=uri, token=os.environ.get("QA_MILVUS_TOKEN", ""))
                except Exception as exc:  # the engine's own exception types differ between Lite and a server
                    raise QAError(f"cannot open Milvus at {uri}: {str(exc).splitlines()[0][:200]}") from None
        return _clients[uri]


def collection_name(spec: Spec, model: str, embed: int) -> str:
    return spec.collection or re.sub(r"[^0-9A-Za-z_]", "_", f"article_qa_{model}_e{embed}")


def article_key(doc: Document) -> str:
    """Names an article's rows: its id and its bytes, so a changed or renamed article gets new rows."""
    return hashlib.sha256(f"{doc.id}\0{doc.sha256}".encode()).hexdigest()[:24]


class MilvusStore:
    """A generation's rows in a Milvus collection; bound to the generation's State for row numbers."""

    kind = "milvus"
    files: tuple[str, ...] = ()

    def __init__(self, uri: str, collection: str, dim: int, index_type: str) -> None:
        self.uri, self.collection, self.dim, self.index_type = uri, collection, dim, index_type
        self.client = client(uri)
        self._keys: list[str] = []
        self._pos: dict[str, int] = {}
        self._first = np.zeros(1, np.int64)
        self._doc = np.zeros(0, np.int32)
        self._cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()
        self._created = False  # a collection made by this process holds no rows yet: insert, not upsert

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, spec: Spec, model: str, embed: int, dim: int) -> MilvusStore:
        """The collection for this model, created when missing. Milvus Lite: an exact FLAT index (its
        only other choice is IVF_FLAT); a server: AUTOINDEX, the engine's own choice per deployment."""
        assert spec.uri is not None
        index_type = "FLAT" if spec.uri.endswith(".db") else "AUTOINDEX"
        store = cls(spec.uri, collection_name(spec, model, embed), dim, index_type)
        store._ensure()
        return store

    @classmethod
    def load(cls, described: dict, state: State, count: int, dim: int) -> MilvusStore:
        try:
            store = cls(described["uri"], described["collection"], dim, described.get("index", "FLAT"))
        except QAError as exc:
            raise BadIndex(str(exc)) from None
        if not store.client.has_collection(store.collection):
            raise BadIndex(f"Milvus collection {store.collection} at {store.uri} is gone")
        store.bind(state)
        store.client.load_collection(store.collection)
        held = store.count()
        if held > count:  # a build stopped between its writes and its sweep
            store.commit()
            held = store.count()
        if held != count:
            raise BadIndex(f"Milvus collection {store.collection} holds {held:,} rows, the index {count:,}")
        return store

    def _ensure(self) -> None:
        from pymilvus import DataType

        c = self.client
        if c.has_collection(self.collection):
            c.load_collection(self.collection)
            return
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=40)
        schema.add_field("doc", DataType.VARCHAR, max_length=24)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        params = c.prepare_index_params()
        params.add_index("vector", index_type=self.index_type, metric_type="IP")
        params.add_index("doc", index_type="INVERTED") if not self.uri.endswith(".db") else None
        c.create_collection(self.collection, schema=schema, index_params=params, consistency_level="Strong")
        self._created = True

    def bind(self, state: State) -> None:
        """Row numbers of this generation: row = first row of its article + its sentence number."""
        self._keys = [article_key(d) for d in state.documents]
        self._pos = {k: i for i, k in enumerate(self._keys)}
        self._doc = state.doc
        self._first = np.searchsorted(state.doc, np.arange(len(state.documents) + 1)).astype(np.int64)

    # -- writing ------------------------------------------------------------------------------------
    def write(self, docs: Iterable[int], vectors: Iterable[np.ndarray], progress: bool = False) -> int:
        """Upsert the rows of the given article positions (bound state), in batches; returns rows written."""
        keys, docs_of, pending = [], [], []
        written = 0
        for d, v in zip(docs, vectors):
            key = self._keys[d]
            for n in range(len(v)):
                keys.append(f"{key}:{n}")
                docs_of.append(key)
            pending.append(np.asarray(v, np.float32))
            if len(keys) >= BATCH:
                written += self._upsert(keys, docs_of, np.concatenate(pending))
                keys, docs_of, pending = [], [], []
        if keys:
            written += self._upsert(keys, docs_of, np.concatenate(pending))
        return written

    def _upsert(self, keys: list[str], docs: list[str], vectors: np.ndarray) -> int:
        for at in range(0, len(keys), BATCH):
            rows = [{"key": k, "doc": d, "vector": v} for k, d, v in
                    zip(keys[at:at + BATCH], docs[at:at + BATCH], vectors[at:at + BATCH].tolist())]
            (self.client.insert if self._created else self.client.upsert)(self.collection, rows)
        return len(keys)

    def count(self) -> int:
        res = self.client.query(self.collection, filter="", output_fields=["count(*)"], consistency_level="Strong")
        return int(res[0]["count(*)"]) if res else 0

    # -- the seam -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._doc)

    def _row_keys(self, rows: np.ndarray) -> list[str]:
        docs = self._doc[rows]
        n = rows - self._first[docs]
        return [f"{self._keys[d]}:{i}" for d, i in zip(docs.tolist(), n.tolist())]

    def _rows(self, keys: list[str]) -> np.ndarray:
        """Rows of keys this generation knows; keys of another generation's articles are dropped."""
        out = []
        for key in keys:
            art, _, n = key.partition(":")
            d = self._pos.get(art)
            if d is not None and int(n) < self._first[d + 1] - self._first[d]:
                out.append(self._first[d] + int(n))
        return np.array(out, np.int64)

    def search(self, qvec: np.ndarray, k: int, rows: np.ndarray | None) -> np.ndarray:
        n = len(self) if rows is None else len(rows)
        k = min(k, n)
        if k == 0:
            return np.zeros(0, np.int64)
        expr = ""
        if rows is not None:
            docs = np.unique(self._doc[rows])
            expr = "doc in [" + ",".join(f'"{self._keys[d]}"' for d in docs.tolist()) + "]"
        # A little over k: rows of articles added by a newer generation, not yet ours, may come first.
        hits = self.client.search(self.collection, data=[qvec.astype(np.float32).tolist()], filter=expr,
                                  limit=min(MAX_LIMIT, k + 16), output_fields=[], anns_field="vector",
                                  search_params={"metric_type": "IP"}, consistency_level="Strong")
        found = self._rows([h["id"] for h in hits[0]])
        if rows is not None:
            found = found[np.isin(found, rows)]
        return found[:k]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """Fetched by key, through a bounded cache: a key names its article's bytes, so its vector
        never changes, and a question scores a candidate's neighbours right after the candidate."""
        rows = np.asarray(rows, dtype=np.int64)
        keys = self._row_keys(rows)
        cache = self._cache
        missing = [k for k in dict.fromkeys(keys) if k not in cache]
        for at in range(0, len(missing), FETCH):
            got = self.client.get(self.collection, ids=missing[at:at + FETCH], output_fields=["vector"])
            with self._cache_lock:
                for r in got:
                    cache[r["key"]] = np.asarray(r["vector"], np.float32)
                while len(cache) > CACHE:
                    cache.pop(next(iter(cache)))  # the oldest first
        out = np.zeros((len(keys), self.dim), np.float32)  # a row deleted under a reader scores 0
        for i, key in enumerate(keys):
            v = cache.get(key)
            if v is not None:
                out[i] = v
        return out

    def dense(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        return self.vectors(rows) @ qvec if len(rows) else np.zeros(0, np.float32)

    def describe(self) -> dict:
        return {"kind": self.kind, "uri": self.uri, "collection": self.collection, "index": self.index_type}

    def holds(self, other: DenseStore) -> bool:
        return isinstance(other, MilvusStore) and (other.uri, other.collection) == (self.uri, self.collection)

    def save(self, folder) -> None:
        self.client.flush(self.collection)  # sealed and persisted before CURRENT names the generation

    def saved(self, folder) -> None:
        return None

    def commit(self) -> None:
        """Delete the rows of articles this generation no longer has (after CURRENT switched)."""
        if self._keys:
            keep = ",".join(f'"{k}"' for k in self._keys)
            self.client.delete(self.collection, filter=f"doc not in [{keep}]")
        else:
            self.client.delete(self.collection, filter='doc != ""')
