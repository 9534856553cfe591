"""Speakers: who the articles quote, how often, and everything each one said, in article order.

Read from the index's attribution (one speaker or none per sentence), so nothing is re-parsed:
listing the speakers of the seed index takes well under a millisecond. The CLI's ``qa speakers``
and ``qa quotes`` call these, and the page and HTTP API will.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .errors import SpeakerError
from .index import Index
from .retrieve import Passage, passage


@dataclass(frozen=True)
class Speaker:
    name: str
    quotes: int  # sentences attributed to them
    articles: int

    def to_dict(self) -> dict:
        return {"name": self.name, "quotes": self.quotes, "articles": self.articles}


def speakers(index: Index) -> list[Speaker]:
    """Every speaker with the number of sentences attributed to them, most quoted first."""
    state = index.state
    counts: Counter = Counter()
    docs: dict[str, set] = {}
    for row, who in enumerate(state.speaker):
        if who:
            counts[who] += 1
            docs.setdefault(who, set()).add(int(state.doc[row]))
    return [Speaker(n, c, len(docs[n])) for n, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))]


def resolve(index: Index, name: str | None) -> str:
    """The speaker a typed name means: exact, then case-insensitive, then a unique speaker whose
    name contains it as whole words ("Zelensky" -> "Volodymyr Zelensky")."""
    if not isinstance(name, str) or not name.strip():
        raise SpeakerError("no speaker name given")
    want = " ".join(name.split())
    names = [s.name for s in speakers(index)]
    if want in names:
        return want
    folded = [n for n in names if n.casefold() == want.casefold()]
    if len(folded) == 1:
        return folded[0]
    words = want.casefold().split()
    partial = [n for n in names if all(w in n.casefold().split() for w in words)]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise SpeakerError(f"{want!r} matches several speakers: {', '.join(partial[:10])}")
    import difflib

    close = difflib.get_close_matches(want, names, n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise SpeakerError(f"no speaker named {want!r}{hint} (`qa speakers` lists them)")


def quotes(index: Index, name: str | None) -> list[Passage]:
    """Every sentence attributed to the speaker, in article order (score 0: not a search result)."""
    who = resolve(index, name)
    state = index.state
    return [passage(state, row, 0.0) for row, w in enumerate(state.speaker) if w == who]
