"""Answer: retrieved sentences as a reply of verbatim quotes with attribution, or an honest "not covered".

No text is generated: the reply is the article's own sentences, escaped for display, plus where
each stands. Whether to answer at all is decided by one calibrated threshold on the best score,
because quoting the nearest noise as if it answered is the one thing this tool must never do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .index import Index
from .retrieve import Passage, retrieve, stemmer

# Calibrated in bench/calibrate.py on SQuAD (answerable vs. other articles' questions) and the
# seed article; see README "Abstention".
ABSTAIN_BELOW = 0.30

_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_QUESTION_WORDS = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "did", "does", "do",
                   "is", "are", "was", "were", "has", "have", "had", "say", "said", "tell", "told", "about",
                   "can", "could", "would", "should", "many", "much", "he", "she", "him", "her", "his", "its"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~$&])")


@dataclass(frozen=True)
class Answer:
    question: str
    passages: tuple[Passage, ...]
    abstained: bool
    threshold: float = ABSTAIN_BELOW
    terms: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {"question": self.question, "abstained": self.abstained, "threshold": self.threshold,
                "passages": [p.to_dict() for p in self.passages]}

    def __str__(self) -> str:
        return render_markdown(self)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | _QUESTION_WORDS


def terms(question: str) -> tuple[str, ...]:
    """Stems of the question's content words: what a quote is highlighted for."""
    words = [w.lower() for w in _WORD.findall(question)]
    words = [w for w in words if w not in _stopwords() and len(w) > 1]
    return tuple(dict.fromkeys(stemmer().stemWords(words)))


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown and HTML syntax so the article's text shows as typed, and runs nothing."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def highlight_spans(text: str, stems: tuple[str, ...]) -> list[tuple[int, int]]:
    """Character spans of the words in ``text`` whose stem is among ``stems``."""
    if not stems:
        return []
    wanted = set(stems)
    matches = list(_WORD.finditer(text))
    stemmed = stemmer().stemWords([m.group().lower() for m in matches])
    return [(m.start(), m.end()) for m, s in zip(matches, stemmed) if s in wanted and m.group().lower() not in _stopwords()]


def emphasised(text: str, stems: tuple[str, ...]) -> str:
    """The quote as Markdown with matching words in bold; the words themselves are unchanged."""
    out, pos = [], 0
    for a, b in highlight_spans(text, stems):
        out.append(escape_markdown(text[pos:a]))
        out.append(f"**{escape_markdown(text[a:b])}**")
        pos = b
    out.append(escape_markdown(text[pos:]))
    return "".join(out)


def attribution(p: Passage) -> str:
    who = f"**{escape_markdown(p.speaker)}**, " if p.speaker else ""
    return (f"— {who}*{escape_markdown(p.title)}*, paragraph {p.paragraph}, sentence {p.sentence + 1}"
            f" · score {p.score:.2f}")


def render_markdown(res: Answer) -> str:
    if not res.passages:
        return "The articles do not cover this question: there are no articles to search."
    blocks = []
    if res.abstained:
        blocks.append("**The articles do not cover this question.** Closest, but not an answer:")
    for p in res.passages:
        blocks.append(f"> “{emphasised(p.text, res.terms)}”\n>\n> {attribution(p)}")
    return "\n\n".join(blocks)


def answer(question: str, k: int = 3, docs: list[str] | None = None, index: Index | None = None) -> Answer:
    """Quotes that answer the question, or the nearest one marked as not an answer."""
    hits = retrieve(question, k=k, docs=docs, index=index)
    abstained = not hits or hits[0].score < ABSTAIN_BELOW
    if abstained:
        hits = hits[:1]
    else:
        hits = [h for h in hits if h.score >= ABSTAIN_BELOW]
    return Answer(question=question, passages=tuple(hits), abstained=abstained, terms=terms(question))
