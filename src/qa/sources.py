"""Sources beyond plain text: PDF (pypdf), Word .docx (python-docx) and web pages by URL (trafilatura).

A PDF or Word file has no text to point offsets into, so its ``Document.text`` is the text its
library extracts, in paragraphs separated by blank lines; quotes index that text, and that text
is what the reader is shown. A web page is saved into the seeds folder as a ``.txt`` with front
matter (title, author, date, source URL) above the main text trafilatura extracts, so the
saved file is the article and offsets index the file, like any other .txt.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any
from urllib.parse import urlsplit

from .ingest import IngestError


def _pdf_paragraphs(page) -> list[str]:
    """A PDF page's paragraphs. pypdf's plain extraction gives one line per printed line and no
    blank lines, so a paragraph could only be guessed from line lengths (wrong on the test PDF,
    whose first paragraph ends on a full line); its layout mode keeps the vertical gaps, and a gap
    is where a paragraph ends. The lines of a paragraph are joined with single spaces."""
    text = page.extract_text(extraction_mode="layout", layout_mode_space_vertically=True) or ""
    blocks = re.split(r"\n[ \t]*\n", text)
    return [p for p in (" ".join(b.split()) for b in blocks) if p]


def read_pdf(name: str, data: bytes) -> tuple[str | None, str, str, dict]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{name}: the PDF is encrypted; save an unprotected copy")
        paragraphs = [p for page in reader.pages for p in _pdf_paragraphs(page)]
        info: Any = reader.metadata or {}
        title, author = getattr(info, "title", None), getattr(info, "author", None)
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(f"{name}: not a readable PDF ({exc.__class__.__name__})") from None
    if not paragraphs:
        raise IngestError(f"{name}: the PDF has no text layer (a scan?); nothing to quote")
    title = (title or "").strip() or None
    return title, "pdf", "\n\n".join(paragraphs), {"author": (author or "").strip() or None}


def read_docx(name: str, data: bytes) -> tuple[str | None, str, str, dict]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"{name}: not a readable Word .docx file ({exc.__class__.__name__})") from None
    except Exception as exc:  # zipfile.BadZipFile, lxml errors: a damaged file, said plainly
        raise IngestError(f"{name}: not a readable Word .docx file ({exc.__class__.__name__})") from None
    paragraphs: list[str] = []
    title = (document.core_properties.title or "").strip() or None
    for para in document.paragraphs:
        text = " ".join(para.text.split())
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if not title and not paragraphs and style in ("Title", "Heading 1"):
            title = text  # a styled title line: the title, and also kept as the first paragraph (skipped by ingest)
        paragraphs.append(text)
    if not paragraphs:
        raise IngestError(f"{name}: the document has no text")
    return title, "docx", "\n\n".join(paragraphs), {"author": (document.core_properties.author or "").strip() or None}


def read_binary(name: str, data: bytes) -> tuple[str | None, str, str, dict]:
    """(title, where the title came from, text, metadata) of a PDF or Word file."""
    if name.lower().endswith(".pdf"):
        return read_pdf(name, data)
    return read_docx(name, data)


def is_url(value: str) -> bool:
    return bool(re.match(r"https?://", value.strip(), re.I))


def extract(html: str, url: str | None = None) -> dict:
    """The main text of a page and its metadata, by trafilatura: navigation, footers and comments
    are left out. Returns {title, author, date, text}; text paragraphs are separated by blank lines."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=True)
    if doc is None:
        return {"title": None, "author": None, "date": None, "text": ""}
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = "\n\n".join(" ".join(line.split()) for line in (d.get("text") or "").splitlines() if line.strip())
    return {"title": d.get("title"), "author": d.get("author"), "date": d.get("date"), "text": text}


def _one_line(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def page_article(url: str, html: str) -> tuple[str, bytes]:
    """A fetched page as an article file: (file name, bytes of a .txt with front matter).

    The file name is a slug of the URL's last path segment plus 8 hex digits of the URL's hash,
    so the same URL always gets the same id and two pages never share one."""
    found = extract(html, url)
    text = found["text"]
    if not text.strip():
        raise IngestError(f"{url[:200]}: no article text found on the page")
    title = _one_line(found["title"])
    first, _, rest = text.partition("\n\n")
    if title and rest.strip() and first.casefold() == title.casefold():
        text = rest  # the page's <h1> repeating its title: the title, not paragraph 1
    head = ["---"]
    if title:
        head.append(f"title: {title}")
    for key in ("author", "date"):
        if _one_line(found[key]):
            head.append(f"{key}: {_one_line(found[key])}")
    head += [f"source: {url}", "---", ""]
    parts = urlsplit(url)
    last = [s for s in parts.path.split("/") if s]
    slug = re.sub(r"[^a-z0-9]+", "-", (re.sub(r"\.[a-z0-9]+$", "", last[-1].lower()) if last else parts.hostname or "page"))
    slug = slug.strip("-")[:60] or "page"
    name = f"{slug}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:8]}.txt"
    return name, ("\n".join(head) + "\n" + text + "\n").encode("utf-8")


def fetch_article(url: str, *, allow_local: bool | None = None) -> tuple[str, bytes]:
    """Fetch a page (through the safe fetcher) and make it an article file, as ``page_article``."""
    from .fetch import fetch

    page = fetch(url, allow_local=allow_local)
    return page_article(page.url, page.text)
