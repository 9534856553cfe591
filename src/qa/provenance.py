"""Provenance: which articles were uploaded by a visitor, when, and under what original name.

A quote is worth what its source is worth, and a visitor's upload is not a curated seed: an
upload credited "Zelensky said the war is over" to a real person and was quoted first. So every
upload is recorded in a ledger beside the articles (``seeds/.uploads.json``, a dot-file the
indexer does not read as an article, written atomically), the index carries the record into its
manifest, and every quote from such an article says "uploaded" wherever it is shown.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

LEDGER = ".uploads.json"


@dataclass(frozen=True)
class Upload:
    file: str  # the stored file name in the seeds folder
    original_name: str  # the name the visitor's browser sent
    uploaded_at: str  # ISO 8601, UTC, to the second

    @classmethod
    def now(cls, file: str, original_name: str) -> Upload:
        return cls(file=file, original_name=original_name,
                   uploaded_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat())

    def to_dict(self) -> dict:
        return asdict(self)


def read(folder: Path) -> dict[str, Upload]:
    """File name -> Upload. A damaged ledger is reported; its entries cannot be trusted or used."""
    path = Path(folder) / LEDGER
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {f: Upload(**u) for f, u in raw.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("%s is unreadable (%s); uploads cannot be told from seeds until it is fixed", path,
                    exc.__class__.__name__)
        return {}


def write(folder: Path, ledger: dict[str, Upload]) -> None:
    from .index import write_atomic

    data = {f: u.to_dict() for f, u in sorted(ledger.items())}
    write_atomic(Path(folder) / LEDGER, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))


def label(source: str | None, uploaded_at: str | None, original_name: str | None) -> str | None:
    """How a quote from an upload is marked for a reader; None for a curated seed."""
    if source != "upload":
        return None
    when = (uploaded_at or "").replace("T", " ").removesuffix("+00:00")
    return f"uploaded by a visitor{' ' + when + ' UTC' if when else ''}" + \
        (f" as {original_name!r}" if original_name else "") + ", not a curated article"
