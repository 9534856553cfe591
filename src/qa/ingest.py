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

from .errors import IngestError

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
BINARY = (".pdf", ".docx")  # read through their libraries (qa/sources.py), never decoded as text
MAX_FILE_BYTES = 20 * 1024 * 1024  # far beyond any article; keeps a stray dump out of memory

_FRONT_MATTER = re.compile(r"\A(?:---[ \t]*\r?\n(?P<block>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)"
                          r"|(?P<line>title:[^\r\n]*)(?:\r?\n|\Z))", re.S | re.I)
_TITLE_LINE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.M | re.I)
_META_LINE = re.compile(r"^(author|date|source):[ \t]*(.+?)[ \t]*$", re.M | re.I)
# A .txt headline: a short first line without closing sentence punctuation, then a blank line.
_HEADLINE = re.compile(r"[ \t]*(?P<line>[^\r\n]{1,150}?)[ \t]*\r?\n[ \t]*\r?\n\s*")
HEADLINE_WORDS = 20
_CLOSING = re.compile(r"[.!?…:;,][\"'”’)\]]*$")
LABEL_WORDS = 8  # a title made from the lede: its first eight words and an ellipsis


@dataclass(frozen=True, init=False)
class Document:
    """An article as plain text. The text is held as UTF-8 and decoded when asked for: Python keeps
    a string with one curly quote at two bytes a character, which at a million indexed sentences
    was 300 MB of the server's memory for 150 MB of text."""

    id: str
    title: str
    sha256: str
    body_start: int  # where the article starts in ``text`` (after any front matter or headline)
    _utf8: bytes = field(repr=False)
    # Where the title came from: "front matter", "headline", "html", "og:title", "h1", "markdown",
    # "pdf", "docx", or "lede" when the article has none and the title is its first words + "…".
    title_from: str = "id"
    author: str | None = None
    date: str | None = None
    source: str | None = None  # the URL a fetched page came from

    def __init__(self, id: str, title: str, text: str, sha256: str, body_start: int = 0, title_from: str | None = None,
                 author: str | None = None, date: str | None = None, source: str | None = None):
        if title_from is None:  # made by hand (or loaded from an index before titles had a source)
            title_from = "id" if title == id else "given"
        for name, value in (("id", id), ("title", title), ("sha256", sha256), ("body_start", body_start),
                            ("_utf8", text.encode("utf-8", "surrogatepass")), ("title_from", title_from),
                            ("author", author), ("date", date), ("source", source)):
            object.__setattr__(self, name, value)

    @property
    def has_title(self) -> bool:
        """A title the article gave itself, as opposed to a label made from its first words."""
        return self.title_from not in ("id", "lede")

    @property
    def text(self) -> str:
        """The whole text; callers that slice it many times keep one copy rather than ask again."""
        return self._utf8.decode("utf-8", "surrogatepass")

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "text": self.text, "sha256": self.sha256, "body_start": self.body_start,
                "title_from": self.title_from, "author": self.author, "date": self.date, "source": self.source}


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


def _front_matter(text: str) -> tuple[str | None, int, dict]:
    """Return (title, body_start, {author, date, source}) from a ``title:`` line or a ``---`` block at the top."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None, 0, {}
    block = m.group("block") or m.group("line") or ""
    found = _TITLE_LINE.search(block)
    meta = {k.lower(): v for k, v in _META_LINE.findall(block)}
    return (found.group(1) if found else None), m.end(), meta


def headline(text: str, start: int) -> tuple[str | None, int]:
    """(headline, where the body starts) when ``text[start:]`` opens with a headline line: at most
    150 characters and 20 words, not ending in sentence punctuation, followed by a blank line. A
    lede ends in a full stop, so the seed article and every wire story tried keep their first
    paragraph; "Floods close the coast road" above a blank line becomes the title instead."""
    m = _HEADLINE.match(text, start)
    if not m:
        return None, start
    line = m.group("line").strip()
    if not line or len(line.split()) > HEADLINE_WORDS or _CLOSING.search(line) or not text[m.end():].strip():
        return None, start
    return line, m.end()


def label(text: str) -> str:
    """A name for an article with no title: its first words, so no reader sees only a file id."""
    words = text.split()
    return " ".join(words[:LABEL_WORDS]) + ("…" if len(words) > LABEL_WORDS else "")


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dd", "dt", "figcaption", "caption")
_DROP = ("script", "style", "noscript", "template", "head", "iframe", "object", "embed", "svg", "math", "form", "nav")


def _meta(soup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content") and tag["content"].strip():
            return " ".join(tag["content"].split())
    return None


def html_page(markup: str) -> tuple[str | None, str, str, dict]:
    """(title, where it came from, text, {author, date}) of an HTML page. og:title comes first: a
    page's <title> usually carries the site's name too ("... | The Courier"), which og:title leaves
    out; then <title>, then the first <h1>."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    meta = {"author": _meta(soup, "author", "article:author", "og:article:author"),
            "date": _meta(soup, "article:published_time", "date", "og:article:published_time", "dc.date")}
    title, source = _meta(soup, "og:title"), "og:title"
    if not title:
        tag = soup.find("title")
        title, source = (" ".join(tag.get_text(" ").split()) if tag else None), "html"
    if not title:
        tag = soup.find("h1")
        title, source = (" ".join(tag.get_text().split()) if tag else None), "h1"
    _, text = html_to_text(markup)
    return title or None, source, text, {k: v for k, v in meta.items() if v}


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


def markdown_heading(markup: str) -> str | None:
    """The text of a top-level ``#`` heading that opens the file, if it does."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markup)
    if len(tokens) > 1 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        return " ".join(tokens[1].content.split()) or None
    return None


def _skip_title_paragraph(text: str, body_start: int, title: str | None) -> int:
    """Past the first paragraph when it only repeats the title (an <h1> or a PDF's title line), so
    paragraph 1 is the article's first paragraph; offsets still index the text."""
    if not title:
        return body_start
    m = re.match(r"\s*([^\n]*)\n\s*\n\s*", text[body_start:])
    same = m is not None and " ".join(m.group(1).split()).casefold() == " ".join(title.split()).casefold()
    if m and same and text[body_start + m.end():].strip():
        return body_start + m.end()
    return body_start


def parse(name: str, data: bytes) -> Document:
    """Make a document from a file's name and bytes (also the path an upload takes).

    The title is the article's own: front matter or a ``title:`` line, a .txt headline line, a
    Markdown ``#`` heading, og:title/<title>/<h1> of HTML, a PDF's or Word file's title; failing
    all of them, a label from the first words of the lede.
    """
    path = Path(name)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise IngestError(f"{name}: unsupported file type {suffix or '(none)'}; use .txt, .md, .html, .pdf or .docx")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"{name}: {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for one article")
    meta: dict = {}
    if suffix in BINARY:
        from . import sources

        title, source, text, meta = sources.read_binary(name, data)
        body_start = _skip_title_paragraph(text, 0, title)
    else:
        text = decode(data, name)
        title, source, body_start = None, "id", 0
        if suffix in (".html", ".htm"):
            title, source, text, meta = html_page(text)
            body_start = _skip_title_paragraph(text, 0, title)
        else:
            title, body_start, meta = _front_matter(text)
            source = "front matter"
            if suffix in (".md", ".markdown"):
                if not title:
                    title, source = markdown_heading(text[body_start:]), "markdown"
                text, body_start = markdown_to_text(text[body_start:]), 0
                if source == "markdown":
                    body_start = _skip_title_paragraph(text, 0, title)
            elif not title:
                title, body_start = headline(text, body_start)
                source = "headline"
    if not text[body_start:].strip():
        raise IngestError(f"{name}: no article text in the file")
    title = " ".join(html.unescape(title).split()) if title else ""
    if not title:
        title, source = label(text[body_start:]), "lede"
    return Document(id=path.stem, title=title, text=text, sha256=file_hash(data), body_start=body_start,
                    title_from=source, author=meta.get("author"), date=meta.get("date"), source=meta.get("source"))


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
