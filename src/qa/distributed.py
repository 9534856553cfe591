"""Distributed encoding: the index's sentences through a pool of Ray actors instead of one process.

Why: encoding is the cost that grows with the corpus (docs/scaling.md: 10^7 articles are about
3x10^8 sentences, some 27 days on one quiet 2-core box at 126 sentences/s). Ray spreads it over N
machines, each actor loading the model once; with ``RAY_ADDRESS`` set the same call runs on a
cluster. On one machine it adds work and no cores: a fixed cost of about 12 s a call here (the
actors' start, each importing sentence-transformers and loading the model; 8 texts take 12.0 s
through Ray, 0.85 s plain) plus moving texts and vectors between processes, put at about 10% on a
quiet 2-core box. That 10% could not be confirmed here: bench/ray_encode.py 2000, on this machine
shared with other jobs (load average 9-10 on 2 cores), gave plain 25-28 sentences/s and Ray 26-40,
Ray 1.04-1.6x *ahead*, because with the cores oversubscribed one two-threaded torch loop keeps
waiting for its descheduled thread and two one-threaded actors do not. ``qa index`` without
``--ray`` stays the plain loop.

The vectors are bitwise those of ``embedder(model).encode(texts)``, not merely close: a sentence's
vector depends, by float rounding, on the batch it is padded with, so the work is cut exactly as the
plain path cuts it. The driver orders the texts longest first (stable, as ``Embedder.encode``) and
hands out the same 512-text chunks (``Embedder.CHUNK``); each actor encodes a chunk with the same
``Embedder.encode``, so sentence-transformers sees the same lists and forms the same 64-text batches.
Every chunk carries its input row numbers, and the vectors are put back by them, never by the order
in which the actors finish.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from .embed import Embedder, embedder, query_encoder
from .errors import QAError


class RayMissing(QAError, ImportError):
    """Ray is an optional dependency; a QAError so that the CLI prints it as one line."""


try:
    import ray
    import ray.data
except ImportError:  # pragma: no cover - exercised only where Ray is not installed
    raise RayMissing("qa index --ray needs Ray: pip install 'article-qa[ray]'") from None

LOCAL_CPUS = 2  # a local Ray never takes more than this: the machines here are shared


def start() -> None:
    """Connect to the cluster at ``RAY_ADDRESS``, or start a local Ray of at most LOCAL_CPUS cores;
    a Ray already started (by the caller, or a previous call) is used as it is. No dashboard, and
    workers' logs stay in Ray's session folder instead of on our stdout."""
    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS") or None
    local: dict[str, Any] = {} if address else {"num_cpus": min(LOCAL_CPUS, os.cpu_count() or 1)}
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # no FutureWarning at each start
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # the C++ core's notices, on stderr otherwise
    ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
             configure_logging=True, **local)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.verbose_stats_logs = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)


class _Encode:
    """One actor: the sentence encoder loaded once, then a chunk at a time, cut as the driver cuts
    should its Embedder.CHUNK differ from this process's (the tests set it)."""

    def __init__(self, model: str, chunk: int):
        self.embedder = embedder(model)
        self.embedder.CHUNK = chunk

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows, vectors = [], []
        for index, texts in zip(batch["rows"], batch["texts"]):
            rows.append(np.asarray(index, dtype=np.int64))
            vectors.append(self.embedder.encode([str(t) for t in texts]))
        return {"row": np.concatenate(rows), "vector": np.concatenate(vectors)}


def dimension(model: str) -> int:
    """The model's vector size, read by the light question encoder when it can: the driver need not
    import sentence-transformers (seconds) for a number, its actors do the encoding."""
    return query_encoder(model, tuned=False).dim


def chunks(texts: list[str]) -> list[np.ndarray]:
    """The row numbers of each chunk the plain path encodes in one sentence-transformers call:
    longest first over the whole list (stable), then CHUNK at a time (see ``Embedder.encode``)."""
    order = np.argsort([-len(t) for t in texts], kind="stable")
    size = Embedder.CHUNK
    return [order[at:at + size] for at in range(0, len(texts), size)]


def encode(texts: list[str], model: str, *, batch_size: int | None = None, workers: int | None = None,
           progress: bool = False) -> np.ndarray:
    """Unit vectors for ``texts`` in their order, float32 (len(texts), dim), encoded by ``workers``
    Ray actors (default: one per CPU Ray has free). ``batch_size`` is how many texts an actor takes
    at a time, in whole chunks of ``Embedder.CHUNK`` (512; default one chunk): cutting finer than
    the plain path would change the padding, and with it the last bits of the vectors.
    ``progress``: Ray Data's progress bar."""
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if not texts:
        return np.zeros((0, dimension(model)), np.float32)
    start()
    if workers is None:
        workers = max(1, int(ray.available_resources().get("CPU", 1)))
    parts = chunks(texts)
    items = [{"rows": p, "texts": [texts[i] for i in p]} for p in parts]
    ray.data.DataContext.get_current().enable_progress_bars = progress
    per_batch = max(1, (batch_size or Embedder.CHUNK) // Embedder.CHUNK)  # rows are chunks
    dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        _Encode, fn_constructor_args=(model, Embedder.CHUNK), batch_size=per_batch, batch_format="numpy",
        concurrency=min(workers, len(items)), num_cpus=1)
    out, seen = None, np.zeros(len(texts), dtype=bool)
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        rows, vectors = batch["row"], batch["vector"]
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), np.float32)
        out[rows] = vectors
        seen[rows] = True
    if out is None or not seen.all():
        raise RuntimeError(f"Ray returned vectors for {int(seen.sum())} of {len(texts)} texts")
    return out


class RayEmbedder:
    """``encode`` and ``dim`` as ``qa.embed.Embedder`` has them, encoding through Ray: what
    ``Index._build`` needs of its embedder, for ``qa index --ray``."""

    def __init__(self, model: str, workers: int | None = None):
        self.name, self.workers = model, workers
        self.dim = dimension(model)

    def encode(self, texts: list[str], batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        return encode(texts, self.name, batch_size=batch_size, workers=self.workers, progress=progress)
