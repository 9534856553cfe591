"""Settings: where the articles, the index and the model are.

One rule, for the CLI, the web chat and the Python API alike: a flag (or argument) first, then
the environment (QA_SEEDS, QA_INDEX, QA_MODEL), then ``seeds/`` and ``index/`` in the current
folder. A seeds folder that does not exist is an error naming the path (SeedsMissing), never an
index of nothing that answers every question with "not covered".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MAX_QUESTION_CHARS = 2000  # a question, not a document: longer input is almost surely a paste by mistake


class SeedsMissing(ValueError):
    """The seeds folder the settings name does not exist; the message names the path and the rule."""


def seeds_missing(path: Path) -> SeedsMissing:
    return SeedsMissing(f"the seeds folder {path.resolve()} does not exist: pass --seeds FOLDER, set QA_SEEDS, "
                        "or run from a folder that has seeds/")


@dataclass(frozen=True)
class Settings:
    seeds: Path
    index: Path
    model: str
    store: str = "faiss"  # where the vectors live (qa/store.py): faiss, a Milvus Lite .db, or a Milvus URI
    ray: bool = False  # encode new sentences with Ray (qa/distributed.py): RAY_ADDRESS names a cluster

    @classmethod
    def from_env(cls, seeds: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                 model: str | None = None, store: str | None = None, ray: bool | None = None) -> "Settings":
        return cls(
            seeds=Path(seeds or os.environ.get("QA_SEEDS") or "seeds").expanduser(),
            index=Path(index or os.environ.get("QA_INDEX") or "index").expanduser(),
            model=model or os.environ.get("QA_MODEL") or DEFAULT_MODEL,
            store=store or os.environ.get("QA_STORE") or "faiss",
            ray=ray if ray is not None else os.environ.get("QA_RAY", "") not in ("", "0", "false", "no"),
        )
