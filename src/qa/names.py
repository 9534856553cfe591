"""Names: the file name an article is stored under, and the key two names are compared by.

An article's id is its file's stem, and the id is what a quote is credited to. So a name a
visitor sends is never used as it comes: ``..\\x.txt`` became the dot-file ``seeds/..x.txt``,
which the index ignores while the page listed it, and ``000_9C80BA997A9C7279.txt`` sat beside the
seed ``000_9c80ba997a9c7279.txt`` as a second "same" article. ``stored_name`` makes one safe
name (letters and digits of any script, ``-``, ``_``, ``.``; no leading dot; no control, format or
path characters); ``key`` is what names are compared by (NFKC, case-folded), so no upload can
shadow or imitate an article already there.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath

from .ingest import SUFFIXES, IngestError

MAX_STEM = 100  # characters; far beyond any headline-derived file name, and well under any file system's 255 bytes
_RUNS = re.compile(r"[_.]*\.[_.]*|_+")


def _allowed(ch: str) -> bool:
    return ch in "-_." or unicodedata.category(ch)[0] in "LN"


def stored_name(name: str) -> str:
    """The name an uploaded file is stored under, or an IngestError saying why there is none."""
    if not isinstance(name, str):
        raise IngestError("the file has no name")
    base = re.split(r"[\\/]", name)[-1]  # a Windows or POSIX path: only its last part
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch if _allowed(ch) else "_" if not unicodedata.category(ch).startswith(("C", "Z")) or ch == " " else ""
                   for ch in base)
    suffix = PurePath(base).suffix.lower()
    stem = base[: len(base) - len(suffix)] if suffix else base
    shown = (name[:60] + "…") if len(name) > 60 else name
    if suffix not in SUFFIXES:
        raise IngestError(f"{shown!r}: unsupported file type {suffix or '(none)'}; use .txt, .md or .html")
    stem = _RUNS.sub(lambda m: "." if "." in m.group() else "_", stem).strip("._-")[:MAX_STEM].rstrip("._-")
    if not stem:
        raise IngestError(f"{shown!r}: the name has no letters or digits; rename the file")
    return stem + suffix


def key(name: str) -> str:
    """What two names (or ids) are compared by: the stem, compatibility-normalised and case-folded."""
    stem = PurePath(name).stem if PurePath(name).suffix.lower() in SUFFIXES else name
    return unicodedata.normalize("NFKC", stem).casefold()
