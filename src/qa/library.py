"""Library: the articles of a seeds folder, listed, added (a file or a URL) and removed.

The CLI's ``qa list / add / remove`` and, later, the page call these, so every door does the same
checks: an unknown id is an error naming the known ones, and nothing is deleted unless the index
is rebuilt without it (a failed rebuild puts the file back).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import ingest, sources
from .errors import LibraryError
from .index import Index, write_atomic


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    source: str  # the URL a fetched page came from, else the seed file's name
    sentences: int
    speakers: tuple[tuple[str, int], ...]  # (speaker, sentences attributed), most first
    title_from: str = "id"
    author: str | None = None
    date: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "source": self.source, "sentences": self.sentences,
                "speakers": [{"name": n, "quotes": c} for n, c in self.speakers], "title_from": self.title_from,
                "author": self.author, "date": self.date}


def _files(index: Index) -> dict[str, Path]:
    return {p.stem: p for p in ingest.seed_files(index.settings.seeds)}


def articles(index: Index) -> list[Article]:
    """Every indexed article, in id order, with its sentence and speaker counts."""
    state = index.state
    files = _files(index)
    out = []
    for d in state.documents:
        rows = state.rows_of(d.id)
        said = Counter(state.speaker[r] for r in rows.tolist() if state.speaker[r])
        source = d.source or (files[d.id].name if d.id in files else d.id)
        out.append(Article(id=d.id, title=d.title, source=source, sentences=len(rows),
                           speakers=tuple(sorted(said.items(), key=lambda kv: (-kv[1], kv[0]))),
                           title_from=d.title_from, author=d.author, date=d.date))
    return out


def remove(index: Index, doc_id: str) -> Path:
    """Delete an article's seed file and re-index; an unknown id changes nothing."""
    files = _files(index)
    path = files.get(doc_id)
    if path is None:
        known = ", ".join(sorted(files)) or "none"
        raise LibraryError(f"unknown article id {doc_id!r}; known: {known}")
    data = path.read_bytes()
    path.unlink()
    try:
        index.refresh()
    except Exception:
        write_atomic(path, data)  # nothing lost: the article is back, the old index still names it
        raise
    return path


def add(index: Index, target: str, *, allow_local: bool | None = None, visitor: bool = True) -> ingest.Document:
    """Index a local file (.txt, .md, .html, .pdf, .docx) or a web page by URL.

    ``allow_local=True`` is for the operator's own command line (``qa add``), which may fetch from
    their intranet or a test server on 127.0.0.1. The default, for a server acting for a visitor,
    refuses local addresses unless QA_FETCH_LOCAL=1 (see qa/fetch.py). ``visitor=False`` (the
    operator's command) adds a curated article, not one marked as a visitor's upload.
    """
    if sources.is_url(target):
        url = target.strip()
        name, data = sources.fetch_article(url, allow_local=allow_local)
        existing = index.settings.seeds / name
        if existing.exists() and existing.read_bytes() != data:
            raise LibraryError(f"{url} was already added as {existing.stem} and has changed since; "
                               f"remove it first (qa remove {existing.stem}) to add it again")
    else:
        path = Path(target).expanduser()
        if not path.is_file():
            raise LibraryError(f"{target}: no such file (give a .txt, .md, .html, .pdf or .docx file, or an http(s) URL)")
        name, data = path.name, path.read_bytes()
    return index.add(name, data, visitor=visitor)
