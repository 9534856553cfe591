"""Page: what the web chat's page is made of besides its wiring (qa/ui.py): the script that scrolls
the best quote into view and copies citations, the style sheet, and the article panel's HTML.

Every string from an article reaches the page through ``html.escape``; the script reads data the
chat's HTML carries (``data-cite``, hidden spans) and never takes code from it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np

from .provenance import label

if TYPE_CHECKING:
    from .answer import Answer
    from .index import Index

# The best quote is brought into view inside the article panel's own scroll, never by scrolling the
# page: on a phone the article is below the chat, and scrollIntoView jumped ~1,000 px away from the answer.
SCROLL_TO_QUOTE = """() => setTimeout(() => {
  const box = document.querySelector('#article .article'),
        m = box && (box.querySelector('mark.top') || box.querySelector('mark'));
  if (m) box.scrollTop = Math.max(0, m.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop
                                    - box.clientHeight / 2);
  const asked = [...document.querySelectorAll('#chat .user')].pop();  // the chat shows the question and the
  let sc = asked && asked.parentElement;                              // reply's start, not the reply's end
  while (sc && sc !== document.body && !(sc.scrollHeight > sc.clientHeight && /auto|scroll/.test(getComputedStyle(sc).overflowY)))
    sc = sc.parentElement;
  if (sc && sc !== document.body) sc.scrollTop += asked.getBoundingClientRect().top - sc.getBoundingClientRect().top - 36;
}, 150)"""
# Copy a quote's citation (its data-cite, qa/cite.py's text) and re-ask a question as typed
# (a hidden span in the button), by one delegated listener: the chat's HTML carries data, never script.
HEAD = """<script>
document.addEventListener('click', (e) => {
  const copy = e.target.closest && e.target.closest('button.copy-cite');
  if (copy) {
    const text = copy.querySelector('.cite-text').textContent, label = copy.querySelector('.label');
    const done = () => { label.textContent = 'Copied'; setTimeout(() => { label.textContent = 'Copy'; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => {});
    else { const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select();
           document.execCommand('copy'); t.remove(); done(); }
    return;
  }
  const again = e.target.closest && e.target.closest('button.reask');
  if (again) {
    const box = document.querySelector('#question textarea');
    box.value = again.querySelector('.q-text').textContent; box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => document.querySelector('#ask-exact').click(), 50);
  }
});
</script>"""
CSS = """
.article { max-height: 640px; overflow-y: auto; font-family: Georgia, 'Times New Roman', serif; line-height: 1.55; }
.article h3 { font-family: system-ui, sans-serif; margin: 0 0 .5em 0; }
.article p { margin: 0 0 .8em 0; }
.article .pn { display: inline-block; min-width: 1.8em; color: #888; font: 12px system-ui, sans-serif; }
.article mark { background: #fff1a8; padding: 1px 0; border-radius: 2px; }
.article mark.top { background: #ffd84d; }
#chat .bot b { font-size: 1em; }
#chat .bot blockquote { font-family: Georgia, 'Times New Roman', serif; margin: .4em 0; }
#chat .bot blockquote mark { background: #fff1a8; font-weight: 600; }
#chat .bot blockquote mark.answer { background: #c8efc0; text-decoration: underline; }
#chat .bot .attr { margin: 0 0 .8em 0; color: #444; }
#chat .bot blockquote.closest { font-style: italic; color: #555; border-left: 3px dashed #bbb; }
#chat .bot .rel { font-size: .85em; color: #2a6a2a; }
#chat .bot .rel.closest { color: #8a5a00; }
.copy-cite, .reask { font: 12px system-ui, sans-serif; padding: 0 .5em; border: 1px solid #bbb; border-radius: 4px;
  background: #f6f6f6; cursor: pointer; }
.reask { margin-left: .3em; }
#ask-exact { display: none !important; }
.copy-cite .cite-text { display: none; }
@media (max-width: 640px) { .article { max-height: 420px; } }
.upload, .article .upload { color: #a33; }
"""


def article_html(index: Index, res: Answer | None, doc_id: str | None = None) -> str:
    """The quoted article, paragraphs numbered, the quoted sentences marked; all article text escaped."""
    state = index.state
    if doc_id is None and res is not None and res.passages:
        doc_id = res.passages[0].doc
    doc = next((d for d in state.documents if d.id == doc_id), None) or (state.documents[0] if state.documents else None)
    if doc is None:
        return "<div class='article'><p>No articles are loaded.</p></div>"
    quoted = {p.sentence: n for n, p in enumerate(res.passages) if p.doc == doc.id} if res is not None else {}
    rows = state.rows_of(doc.id)
    text = doc.text
    body = []
    for pid in np.unique(state.para[rows]):
        in_para = rows[state.para[rows] == pid]
        pos, parts = int(state.para_start[pid]), []
        for r in in_para:  # the paragraph's own text between sentences, not a re-join
            a, b = int(state.start[r]), int(state.end[r])
            parts.append(html.escape(text[pos:a]))
            sentence = html.escape(text[a:b])
            n = quoted.get(int(state.sentence[r]))
            if n is not None:
                cls = "top" if n == 0 and res is not None and not res.abstained else ""
                sentence = f"<mark class='{cls}' title='quote {n + 1}'>{sentence}</mark>"
            parts.append(sentence)
            pos = b
        parts.append(html.escape(text[pos:int(state.para_end[pid])]))
        body.append(f"<p><span class='pn'>{int(state.paragraph[in_para[0]])}</span>{''.join(parts)}</p>")
    up = state.upload_of(doc.id)
    note = label("upload", up.get("uploaded_at"), up.get("original_name")) if up else None
    note = f"<p class='upload'>⚠ {html.escape(note)}</p>" if note else ""
    return f"<div class='article'><h3>{html.escape(doc.title)}</h3>{note}{''.join(body)}</div>"
