"""Display: a reply as the HTML the web chat shows, so that what a reader sees is the article's text.

The chat used to send Markdown with every special character backslash-escaped. In the browser
that was not verbatim: bold inside escaped text showed literal asterisks (``<**script**>`` for
``<script>``), URLs in a quote became live links, and a Markdown image in an uploaded title or in
the visitor's own question was fetched. Here the Chatbot renders HTML with Markdown off
(``render_markdown=False``) and Gradio's sanitiser on; every string from an article, a title or
a question passes through ``html.escape`` and nothing else, and the only tags are the ones this
module writes (``blockquote``, ``p``, ``b``, ``i``, ``mark``, ``span``): never an ``a`` or an ``img``.
"""

from __future__ import annotations

import html

from .answer import Answer, highlight_spans
from .provenance import label
from .retrieve import Passage


def esc(text: object) -> str:
    return html.escape(str(text), quote=True).replace("\n", " ")


def emphasised(text: str, stems: tuple[str, ...]) -> str:
    """The quote, escaped, with the words that match the question in <mark>; the words are unchanged."""
    out, pos = [], 0
    for a, b in highlight_spans(text, stems):
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def attribution(p: Passage) -> str:
    who = f"<b>{esc(p.speaker)}</b>, " if p.speaker else ""
    note = label(p.source, p.uploaded_at, p.original_name)
    upload = f" · <b class='upload'>⚠ {esc(note)}</b>" if note else ""
    return (f"— {who}<i>{esc(p.title)}</i>, paragraph {p.paragraph}, sentence {p.sentence + 1}"
            f" · score {p.score:.2f}{upload}")


def reply(res: Answer) -> str:
    """The whole reply: an optional note, then each quote with its attribution on the next line."""
    if res.note:
        return f"<p><b>{esc(res.note)}</b></p>"
    if not res.passages:
        return "<p>The articles do not cover this question: there are no articles to search.</p>"
    blocks = []
    if res.searched and res.searched != res.question:
        blocks.append(f"<p><i>Searched for: {esc(res.searched)}</i></p>")
    if res.abstained:
        blocks.append("<p><b>The articles do not cover this question.</b> Closest, but not an answer:</p>")
    for p in res.passages:
        blocks.append(f"<blockquote>{emphasised(p.text, res.terms)}</blockquote><p class='attr'>{attribution(p)}</p>")
    return "".join(blocks)


def message(text: str, lead: str | None = None) -> str:
    """A one-line notice (an error, an upload's status), escaped, with an optional bold lead."""
    return f"<p>{f'<b>{esc(lead)}</b> ' if lead else ''}{esc(text)}</p>"


def question(text: str) -> str:
    """The visitor's own question as it is shown back: text, never markup."""
    return esc(text)
