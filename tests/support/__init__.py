"""What the tests share besides fixtures: paths, the seed article's id, small file helpers.

Fixtures live in the conftest.py files; everything a test imports lives here (``from tests.support
import ...``), never in a conftest. ``support.server`` starts the real server, ``support.documents``
makes PDF and Word files, ``support.bench`` loads a bench/ script for the tests that check one.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SEED_ID = "000_9c80ba997a9c7279"
PAGES = ROOT / "tests" / "data" / "pages"  # saved web pages, served on 127.0.0.1 by the tests that fetch


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def unmark(md: str) -> str:
    """Markdown quote back to plain text: drop bold markers and backslash escapes."""
    import re

    return re.sub(r"\\(.)", r"\1", md.replace("**", ""))
