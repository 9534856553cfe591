"""Segment: paragraphs and sentences, as character spans of the document text.

Spans rather than strings, so that every quote can be checked as ``text[start:end]``. Sentence
boundaries come from pysbd, a rule-based splitter that knows abbreviations ("U.S. President");
on top of it we only re-join sentences that pysbd split inside an open quotation, because a
quote cut away from its attribution is a misquote.

We take pysbd's sentences from its processor and place them in the text ourselves: its own
``segment()`` finds each sentence again with a regular expression compiled from that sentence, a
third of its time and a thrashed ``re`` cache (segmenting fell from 7.1 s to 4.8 s on SQuAD dev).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache

from .ingest import IngestError


@dataclass(frozen=True)
class Span:
    paragraph: int  # 1-based
    start: int
    end: int


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_OPENERS = "\u201c"
_CLOSERS = "\u201d"
# pysbd is given at most this many characters at once (see _windows): at 2 KB its per-byte cost is
# the same as on a short paragraph; bench/segment.py prints the time per byte from 10 KB to 2 MB.
WINDOW = 2_000
MAX_QUOTED = 4_000  # an open quotation is not followed further: an unclosed quote mark is a typo, not a speech


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def paragraphs(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Blank-line blocks when the text has any (hard-wrapped articles), else one paragraph a line."""
    body = text[start:]
    splitter = _BLANK_LINE if _BLANK_LINE.search(body) else re.compile(r"\n")
    spans, pos = [], start
    for m in splitter.finditer(text, start):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def _quote_delta(piece: str) -> tuple[int, int]:
    """(straight quotes, curly openers minus closers) in a piece: summed per piece, so the state of a
    quotation merged from many pieces is never recounted from its start (that recount was quadratic)."""
    return piece.count('"'), sum(piece.count(c) for c in _OPENERS) - sum(piece.count(c) for c in _CLOSERS)


def _open_quote(sentence: str) -> bool:
    """True when a quotation opened in the sentence is still open at its end."""
    straight, curly = _quote_delta(sentence)
    return straight % 2 == 1 or curly > 0


def _windows(chunk: str):
    """pysbd's sentences of ``chunk`` as (start, end) offsets, found window by window.

    pysbd's cost grows with the square of the text it is given (a 2 MB paragraph was still being
    split after 15 minutes), so it never sees more than WINDOW characters: each window's last
    sentence may be cut by the window's end, so it is dropped and the next window starts there,
    and pysbd decides every boundary with at least the sentence before and after in view. A
    sentence that fills a whole window is cut at its last space (a quote is never longer).
    """
    pos, n = 0, len(chunk)
    straight = curly = 0  # quotation marks in chunk[:pos]
    while pos < n:
        end = min(n, pos + WINDOW)
        window = chunk[pos:end]
        # A window that starts inside a quotation is given its opening mark, or pysbd takes the
        # closing mark for an opener and joins the next sentence to the quote.
        opener = '"' if straight % 2 else _OPENERS[0] if curly > 0 else ""
        shown = opener + window
        found, cursor = [], 0  # spans in ``shown``
        for piece in _segmenter().processor(shown).process() if window.strip() else []:
            piece = piece.strip()
            if not piece:
                continue
            at = shown.find(piece, cursor)
            if at < 0:  # pysbd altered the text; never guess: keep the rest as one sentence
                break
            found.append((at, at + len(piece)))
            cursor = at + len(piece)
        if cursor < len(shown) and shown[cursor:].strip():
            found.append((len(shown) - len(shown[cursor:].lstrip()), len(shown.rstrip())))
        spans = []
        for a, b in found:  # back to window offsets, without the opening mark we lent pysbd
            a, b = max(a - len(opener), 0), b - len(opener)
            while a < b and window[a].isspace():
                a += 1
            if a < b:
                spans.append((a, b))
        if end < n:  # not the text's end: the last sentence may continue in the next window
            if len(spans) > 1:
                spans, nxt = spans[:-1], spans[-1][0]
            else:
                cut = window.rfind(" ", 0, len(window) - 1)
                cut = cut if cut > 0 else len(window)
                last = len(window[:cut].rstrip())
                spans, nxt = [(a, min(b, last)) for a, b in spans[:1] if min(b, last) > a], cut
            for a, b in spans:
                yield pos + a, pos + b
            s, c = _quote_delta(window[:max(nxt, 1)])
            straight, curly = straight + s, max(0, curly + c)
            pos += max(nxt, 1)
        else:
            for a, b in spans:
                yield pos + a, pos + b
            pos = n


class TooLong(IngestError):
    """An article over the work budget; refused in one line rather than indexed for minutes."""


@dataclass(frozen=True)
class Budget:
    """Work allowed for one article. The seed article has 21 sentences and a long feature a few
    hundred; 5,000 is about 190 KB of news prose, 1 s to split (bench/segment.py) and the most a
    visitor can make the server encode in one upload. 10 s of this thread's CPU bounds what the
    sentence count cannot (a 2 MB paragraph of long sentences took 10.7 s to split whole). The
    reported article ("The board said the test passed today. " * 55000) is refused after its first
    5,000 sentences, in about a second, where splitting it whole did not finish in 15 minutes."""

    sentences: int = 5_000
    seconds: float = 10.0

    def check(self, count: int, started: float) -> None:
        if count > self.sentences:
            raise TooLong(f"over {self.sentences:,} sentences; split it into several articles")
        if time.thread_time() - started > self.seconds:
            raise TooLong(f"over {self.seconds:g} s of CPU to split into sentences; split it into several articles")


UNBOUNDED = Budget(sentences=10**12, seconds=float("inf"))


def sentences(text: str, start: int, end: int, budget: Budget = UNBOUNDED, _count: list[int] | None = None,
              _started: float | None = None) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end], whitespace trimmed, quotations kept whole."""
    # A hard-wrapped line break is not a sentence boundary; same-length replacement keeps offsets.
    chunk = text[start:end].replace("\r", " ").replace("\n", " ")
    count = _count if _count is not None else [0]
    started = time.thread_time() if _started is None else _started
    merged: list[tuple[int, int]] = []
    straight = curly = 0  # the quotation state at the end of merged[-1]
    for a, b in _windows(chunk):
        s, c = _quote_delta(chunk[a:b])
        if merged and (straight % 2 == 1 or curly > 0) and b - merged[-1][0] <= MAX_QUOTED:
            merged[-1] = (merged[-1][0], b)
            straight, curly = straight + s, curly + c
        else:
            merged.append((a, b))
            straight, curly = s, c
            count[0] += 1
            if count[0] % 64 == 0:
                budget.check(count[0], started)
    budget.check(count[0], started)
    return [(start + a, start + b) for a, b in merged]


def segment(text: str, body_start: int = 0, budget: Budget = UNBOUNDED) -> list[Span]:
    """All sentences of a document, in order, each with its paragraph number; TooLong past the budget."""
    count, started = [0], time.thread_time()
    return [Span(n, a, b) for n, (pa, pb) in enumerate(paragraphs(text, body_start), 1)
            for a, b in sentences(text, pa, pb, budget, count, started)]
