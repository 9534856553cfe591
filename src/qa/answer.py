"""Answer: retrieved sentences as a reply of verbatim quotes with attribution, or an honest "not covered".

No text is generated: the reply is the article's own sentences, escaped for display, plus where
each stands. Whether to answer at all is decided by a threshold on the best second-stage score
that each index calibrates for itself (qa/answerable.py), because quoting the nearest noise as if
it answered is the one thing this tool must never do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import QAError
from .index import Index
from .lexical import stemmer
from .retrieve import Passage, retrieve

# The first stage alone (rerank=False): chosen by `qa eval` on the even-numbered SQuAD articles,
# the lowest fused score that abstains on 99.5% of questions asked of an article they are not
# about; checked on the odd ones. With the second stage, each index has its own threshold.
ABSTAIN_BELOW = 0.50


def threshold(index: Index, rerank: bool = True) -> float:
    """The evidence (``evidence()``) below which a quote is "not covered"."""
    if not rerank:
        return ABSTAIN_BELOW
    from .answerable import decision_for

    return decision_for(index.state).threshold


def evidence(p: Passage) -> float:
    """What abstention compares: the second stage's confidence that the articles answer, or the
    first stage's fused score when the second stage did not run."""
    return p.confidence if p.confidence is not None else p.score

_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_QUESTION_WORDS = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "did", "does", "do",
                   "is", "are", "was", "were", "has", "have", "had", "say", "said", "tell", "told", "about",
                   "can", "could", "would", "should", "many", "much", "he", "she", "him", "her", "his", "its"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~$&])")


_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers|they|them|their)\b", re.I)
_ELSE = re.compile(r"\b(else|more|other|another|again|too|also)\b", re.I)
_SAYING = re.compile(r"\b(say|said|says|saying|tell|told|add|added|quote|quoted|claim|claimed|mean|think)\b", re.I)


@dataclass(frozen=True)
class Answer:
    question: str
    passages: tuple[Passage, ...]
    abstained: bool
    threshold: float = ABSTAIN_BELOW
    terms: tuple[str, ...] = field(default=())
    searched: str | None = None  # the question as searched, when a follow-up was resolved ("he" -> a name)
    note: str | None = None  # why there is nothing to quote, when that is more specific than "not covered"
    shown: frozenset = frozenset()  # (doc, sentence) quoted so far in this conversation, for "what else"
    about: str | None = None  # the speaker a follow-up was resolved to, kept when nothing more is quoted

    def to_dict(self) -> dict:
        return {"question": self.question, "searched": self.searched or self.question, "abstained": self.abstained,
                "threshold": self.threshold, "note": self.note, "passages": [p.to_dict() for p in self.passages]}

    @property
    def speaker(self) -> str | None:
        """Who the answer is about, for the next question's "he" or "she": after "What else did he
        say?" found nothing more, still the person it was about."""
        if self.abstained or not self.passages:
            return self.about
        return self.passages[0].speaker

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


def pieces(text: str, stems: tuple[str, ...], phrase: tuple[int, int] | None = None) -> list[tuple[str, str | None]]:
    """The quote cut into (text, kind) pieces that join back to it exactly: kind "phrase" for the
    words that answer, "match" for words matching the question, None for the rest. The Markdown
    here and the HTML of qa/display.py render the same pieces, each with its own escaping."""
    if phrase is not None:
        a, b = phrase
        return pieces(text[:a], stems) + [(text[a:b], "phrase")] + pieces(text[b:], stems)
    out, pos = [], 0
    for a, b in highlight_spans(text, stems):
        out += [(text[pos:a], None), (text[a:b], "match")]
        pos = b
    return [p for p in out + [(text[pos:], None)] if p[0]]


def emphasised(text: str, stems: tuple[str, ...], phrase: tuple[int, int] | None = None) -> str:
    """The quote as Markdown with matching words in bold and the answering phrase in bold italics;
    the words themselves are unchanged."""
    wrap = {None: "{}", "match": "**{}**", "phrase": "***{}***"}
    return "".join(wrap[kind].format(escape_markdown(t)) for t, kind in pieces(text, stems, phrase))


def phrase_of(p: Passage) -> tuple[int, int] | None:
    """The answer phrase's span within the quote, if the second stage marked one."""
    if p.answer_start is None or p.answer_end is None:
        return None
    return p.answer_start - p.start, p.answer_end - p.start


def attribution(p: Passage) -> str:
    from .provenance import label

    who = f"**{escape_markdown(p.speaker)}**, " if p.speaker else ""
    note = label(p.source, p.uploaded_at, p.original_name)
    return (f"— {who}*{escape_markdown(p.title)}*, paragraph {p.paragraph}, sentence {p.sentence_in_paragraph or p.sentence + 1}"
            f" · score {p.score:.2f}" + (f" · **{escape_markdown(note)}**" if note else ""))


def render_markdown(res: Answer) -> str:
    if res.note:
        return f"**{escape_markdown(res.note)}**"
    if not res.passages:
        return "The articles do not cover this question: there are no articles to search."
    blocks = []
    if res.searched and res.searched != res.question:
        blocks.append(f"*Searched for: {escape_markdown(res.searched)}*")
    if res.abstained:
        blocks.append("**The articles do not cover this question.** Closest, but not an answer:")
    for p in res.passages:
        phrase = phrase_of(p) if not res.abstained else None
        blocks.append(f"> {emphasised(p.text, res.terms, phrase)}\n>\n> {attribution(p)}")
    return "\n\n".join(blocks)


def answer(question: str, k: int = 3, docs: list[str] | None = None, index: Index | None = None,
           previous: Answer | None = None, rerank: bool = True) -> Answer:
    """Quotes that answer the question, or the nearest one marked as not an answer.

    question: any text up to 2,000 characters (control and zero-width characters are dropped);
        empty, None or overlong is a QuestionError saying what to change.
    k: at most how many quotes, 1 to 100 (QuestionError otherwise); fewer when fewer clear the
        threshold, and one (the closest, ``abstained=True``) when none does.
    docs: article ids to search (``Index.documents``' ids, ``qa list``); None: all. An unknown id
        is a QuestionError naming the known ones.
    index: the Index to search; None: the one of QA_SEEDS/QA_INDEX (``retrieve.default_index``).
    previous: the previous Answer of a conversation, which makes this a follow-up: a pronoun
        stands for the previous answer's speaker, "what else" leaves out what was already quoted,
        and a question about what someone said keeps to that speaker's sentences. No model
        rewrites the question; the rewrite is shown in the reply (``searched``).
    rerank: False answers from the first stage alone, abstaining below ABSTAIN_BELOW.

    Returns an Answer; ``str()`` of it is the reply as Markdown.
    """
    searched, speaker = question, None
    seen: frozenset[tuple[str, int]] = frozenset()
    if previous is not None and previous.speaker and isinstance(question, str) and _PRONOUN.search(question):
        speaker = previous.speaker
        searched = _PRONOUN.sub(lambda m: speaker + ("'s" if m.group().lower() in ("his", "hers", "their") else ""),
                                question)
        if _ELSE.search(question):
            seen = previous.shown
    quoting = bool(speaker and _SAYING.search(question))  # "what did he say": that speaker's own sentences
    if index is None:
        from .retrieve import default_index

        index = default_index()
    hits = retrieve(searched, k=min(max(20, 4 * k) if quoting else k + len(seen), 100), docs=docs, index=index,
                    rerank=rerank)
    bar = threshold(index, rerank)
    hits = [h for h in hits if (h.doc, h.sentence) not in seen]
    if quoting:
        hits = [h for h in hits if h.speaker == speaker][:k]
        if not hits:
            return Answer(question=question, passages=(), abstained=True, terms=terms(searched), searched=searched,
                          note=f"The articles quote nothing{' else' if seen else ''} from {speaker}.", shown=seen,
                          about=speaker)
        abstained = False  # attribution, not similarity, is the evidence that these answer the question
    else:
        hits = hits[:k]
        abstained = not hits or evidence(hits[0]) < bar
        hits = hits[:1] if abstained else [h for h in hits if evidence(h) >= bar]
    shown = (seen if speaker else frozenset()) | ({(h.doc, h.sentence) for h in hits} if not abstained else set())
    return Answer(question=question, passages=tuple(hits), abstained=abstained, threshold=bar, terms=terms(searched),
                  searched=searched if searched != question else None, shown=frozenset(shown))


def converse(questions: list[str], k: int = 3, docs: list[str] | None = None, index: Index | None = None) -> Answer:
    """Answer the last of a conversation's questions, each earlier one resolved against the one before.

    Derived from the questions alone, so the chat, the HTTP API and a script get the same answer
    from the same history, with no hidden session state.
    """
    previous = None
    for q in questions[-6:-1]:
        try:
            previous = answer(q, k=k, docs=docs, index=index, previous=previous)
        except QAError:  # an earlier question that cannot be asked: no context from it
            previous = None
    return answer(questions[-1], k=k, docs=docs, index=index, previous=previous)
