"""Ingest: turn the files of a seeds folder into plain-text documents.

Every offset the product reports points into ``Document.text``. For ``.txt`` that text is the
file's decoded text unchanged, so a journalist can check a quote against the file itself; HTML
and Markdown are reduced to plain paragraphs first, since their markup is not what the article
says.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("qa")

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_FILE_BYTES = 20 * 1024 * 1024  # far beyond any article; keeps a stray dump out of memory

_FRONT_MATTER = re.compile(r"\A(?:---[ \t]*\r?\n(?P<block>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)|(?P<line>title:[^\r\n]*)(?:\r?\n|\Z))", re.S | re.I)
_TITLE_LINE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.M | re.I)


class IngestError(ValueError):
    """A file that cannot become a document; the message names the file and the reason."""


@dataclass(frozen=True, init=False)
class Document:
    """An article as plain text. The text is held as UTF-8 and decoded when asked for: Python keeps
    a string with one curly quote at two bytes a character, which at a million indexed sentences
    was 300 MB of the server's memory for 150 MB of text."""

    id: str
    title: str
    sha256: str
    body_start: int  # where the article starts in ``text`` (after any front matter)
    _utf8: bytes = field(repr=False)

    def __init__(self, id: str, title: str, text: str, sha256: str, body_start: int = 0):
        for name, value in (("id", id), ("title", title), ("sha256", sha256), ("body_start", body_start),
                            ("_utf8", text.encode("utf-8", "surrogatepass"))):
            object.__setattr__(self, name, value)

    @property
    def text(self) -> str:
        """The whole text; callers that slice it many times keep one copy rather than ask again."""
        return self._utf8.decode("utf-8", "surrogatepass")

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "text": self.text, "sha256": self.sha256, "body_start": self.body_start}


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes, name: str) -> str:
    """Decode bytes as text, or refuse: binary data must never be quoted back as an article."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="strict")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(f"{name}: not valid UTF-16 text ({exc.reason})") from None
    else:
        if b"\x00" in data:
            raise IngestError(f"{name}: looks like binary data (contains NUL bytes), not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Legacy news exports are often Windows-1252/Latin-1; both map every byte.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise IngestError(f"{name}: looks like binary data ({controls} control characters), not text")
    if not text.strip():
        raise IngestError(f"{name}: the file is empty")
    return text


def _front_matter(text: str) -> tuple[str | None, int]:
    """Return (title, body_start) from a ``title:`` line or a ``---`` block at the top."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None, 0
    found = _TITLE_LINE.search(m.group("block") or m.group("line") or "")
    return (found.group(1) if found else None), m.end()


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dd", "dt", "figcaption", "caption")
_DROP = ("script", "style", "noscript", "template", "head", "iframe", "object", "embed", "svg", "math", "form", "nav")


def html_to_text(markup: str) -> tuple[str | None, str]:
    """Reduce HTML to (title, paragraphs joined by blank lines); scripts and styles never become text."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else None
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(" ")
    paragraphs: list[str] = []
    blocks = [b for b in soup.find_all(_BLOCKS) if not b.find_parent(_BLOCKS)]
    if blocks:
        for block in blocks:
            para = " ".join(block.get_text().split())  # inline tags join without a space: "*hot*." -> "hot."
            if para:
                paragraphs.append(para)
    else:  # bare text with <br>s or no block tags at all
        for line in soup.get_text("\n").splitlines():
            line = " ".join(line.split())
            if line:
                paragraphs.append(line)
    return title or None, "\n\n".join(paragraphs)


def markdown_to_text(markup: str) -> str:
    """Markdown goes through HTML so that lists, headings and raw HTML are handled once, in one place."""
    from markdown_it import MarkdownIt

    return html_to_text(MarkdownIt("commonmark").render(markup))[1]


def parse(name: str, data: bytes) -> Document:
    """Make a document from a file's name and bytes (also the path an upload takes)."""
    path = Path(name)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise IngestError(f"{name}: unsupported file type {suffix or '(none)'}; use .txt, .md or .html")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"{name}: {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for one article")
    text = decode(data, name)
    title, body_start = None, 0
    if suffix in (".html", ".htm"):
        title, text = html_to_text(text)
    else:
        title, body_start = _front_matter(text)
        if suffix in (".md", ".markdown"):
            text, body_start = markdown_to_text(text[body_start:]), 0
    if not text[body_start:].strip():
        raise IngestError(f"{name}: no article text in the file")
    return Document(id=path.stem, title=html.unescape(title).strip() if title else path.stem, text=text,
                    sha256=file_hash(data), body_start=body_start)


def seed_files(folder: Path) -> list[Path]:
    """The article files of a folder, in a stable order (ids are file stems, so the order is by name)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file() and not p.name.startswith("."))


def load(path: Path) -> Document:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    return parse(path.name, data)
