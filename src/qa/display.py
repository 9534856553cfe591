"""Display: a reply as the HTML the web chat shows, so that what a reader sees is the article's text.

The chat used to send Markdown with every special character backslash-escaped. In the browser
that was not verbatim: bold inside escaped text showed literal asterisks (``<**script**>`` for
``<script>``), URLs in a quote became live links, and a Markdown image in an uploaded title or in
the visitor's own question was fetched. Here the Chatbot renders HTML with Markdown off
(``render_markdown=False``) and Gradio's sanitiser on; every string from an article, a title or
a question passes through ``html.escape`` and nothing else, and the only tags are the ones this
module writes (``blockquote``, ``p``, ``b``, ``i``, ``mark``, ``span``, and ``button`` for copying a
citation or re-asking a question, its text in a hidden ``span``): never an ``a`` or an ``img``.
"""

from __future__ import annotations

import html

from .answer import Answer, evidence, phrase_of, pieces
from .cite import citation
from .provenance import label
from .retrieve import Passage


def esc(text: object) -> str:
    return html.escape(str(text), quote=True).replace("\n", " ")


def emphasised(text: str, stems: tuple[str, ...], phrase: tuple[int, int] | None = None) -> str:
    """The quote, escaped, with the words that match the question in <mark> and the words that
    answer (qa/phrase.py) in <mark class='answer'>; the words themselves are unchanged."""
    wrap = {None: "{}", "match": "<mark>{}</mark>", "phrase": "<mark class='answer' title='the answer'>{}</mark>"}
    return "".join(wrap[kind].format(esc(t)) for t, kind in pieces(text, stems, phrase))


def relevance(p: Passage) -> str:
    """A plain label for how well a quote answers: from the second stage's confidence that the
    articles answer with it (what abstention compares, qa/answer.py's evidence), else the score.
    Passage.score alone (the probability that this very sentence answers) is low even for right
    answers (0.16 for the regiment Zelensky commended), so it is shown only in the tooltip."""
    value = evidence(p)
    if value >= 0.9:
        return "strong match"
    if value >= 0.6:
        return "fair match"
    return "weak match"


def tooltip(p: Passage) -> str:
    return f"score {p.score:.2f}" + (f", confidence {p.confidence:.2f}" if p.confidence is not None else "")


def where(p: Passage) -> str:
    """"paragraph 4, sentence 2": the sentence counted within its paragraph, as a reader counts it."""
    return f"paragraph {p.paragraph}" + (f", sentence {p.sentence_in_paragraph}" if p.sentence_in_paragraph else "")


def copy_button(p: Passage) -> str:
    """A small button carrying the plain-text citation (qa/cite.py) in a hidden span, which the page's
    script copies (Gradio's sanitiser drops data- attributes, and keeps text)."""
    return (f"<button type='button' class='copy-cite' title='Copy quote and citation'><span class='label'>Copy</span>"
            f"<span class='cite-text'>{esc(citation(p))}</span></button>")


def attribution(p: Passage, closest: bool = False) -> str:
    who = f"<b>{esc(p.speaker)}</b>, " if p.speaker else ""
    note = label(p.source, p.uploaded_at, p.original_name)
    upload = f" · <b class='upload'>⚠ {esc(note)}</b>" if note else ""
    score = (f"<span class='rel closest' title='{tooltip(p)}'>closest, not an answer</span>" if closest
             else f"<span class='rel' title='{tooltip(p)}'>{relevance(p)}</span>")
    return f"— {who}<i>{esc(p.title)}</i>, {where(p)} · {score}{upload} {copy_button(p)}"


def reply(res: Answer, corrected: str | None = None, original: str | None = None) -> str:
    """The whole reply: an optional note, then each quote with its attribution on the next line.
    ``corrected``: the spelling-corrected question that was answered instead of ``original``."""
    if res.note:
        return f"<p><b>{esc(res.note)}</b></p>"
    if not res.passages:
        return "<p>The articles do not cover this question: there are no articles to search.</p>"
    blocks = []
    if corrected:
        blocks.append(f"<p class='spelling'>Showing results for <b>{esc(corrected)}</b>. "
                      f"<button type='button' class='reask'>Search instead for "
                      f"<span class='q-text'>{esc(original)}</span></button></p>")
    if res.searched and res.searched != res.question:
        blocks.append(f"<p><i>Searched for: {esc(res.searched)}</i></p>")
    if res.abstained:
        blocks.append("<p><b>The articles do not cover this question.</b> Closest, but not an answer:</p>")
    for p in res.passages:
        cls = " class='closest'" if res.abstained else ""
        text = esc(p.text) if res.abstained else emphasised(p.text, res.terms, phrase_of(p))
        blocks.append(f"<blockquote{cls}>{text}</blockquote><p class='attr'>{attribution(p, res.abstained)}</p>")
    return "".join(blocks)


def passages(items: list[Passage], empty: str = "Nothing found.") -> str:
    """Quotes with their citations (a speaker's quotes), escaped, with copy buttons."""
    if not items:
        return message(empty)
    return "".join(f"<blockquote>{esc(p.text)}</blockquote><p class='attr'>— "
                   f"{f'<b>{esc(p.speaker)}</b>, ' if p.speaker else ''}<i>{esc(p.title)}</i>, {where(p)} "
                   f"{copy_button(p)}</p>" for p in items)


def message(text: str, lead: str | None = None) -> str:
    """A one-line notice (an error, an upload's status), escaped, with an optional bold lead."""
    return f"<p>{f'<b>{esc(lead)}</b> ' if lead else ''}{esc(text)}</p>"


def question(text: str) -> str:
    """The visitor's own question as it is shown back: text, never markup."""
    return esc(text)
