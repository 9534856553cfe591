"""Settings: where the articles, the index and the model are.

Each is a CLI flag whose default comes from the environment (QA_SEEDS, QA_INDEX, QA_MODEL), so
a user or a test can point the same code at another set of articles without editing anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MAX_QUESTION_CHARS = 2000  # a question, not a document: longer input is almost surely a paste by mistake


@dataclass(frozen=True)
class Settings:
    seeds: Path
    index: Path
    model: str

    @classmethod
    def from_env(cls, seeds: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                 model: str | None = None) -> "Settings":
        return cls(
            seeds=Path(seeds or os.environ.get("QA_SEEDS") or "seeds"),
            index=Path(index or os.environ.get("QA_INDEX") or "index"),
            model=model or os.environ.get("QA_MODEL") or DEFAULT_MODEL,
        )
