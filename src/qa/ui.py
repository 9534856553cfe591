"""UI: the Gradio web chat, and the same answers over HTTP (``/retrieve``, ``/chat``).

The page shows quotes beside the article they come from, so a reader can check each one in
context. Every string from an article reaches the page escaped (Markdown escapes in the chat,
``html.escape`` in the article view) and Gradio's sanitiser stays on as a second line.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path

import numpy as np

from .answer import Answer, converse
from .index import Index
from .ingest import IngestError
from .retrieve import retrieve

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry from a tool people trust with sources

log = logging.getLogger("qa")

EXAMPLES = [
    "Who did Zelensky commend?",
    "What did Trump say about Russia?",
    "Who is Emil Kastehelmi?",
    "Where is Demidovka?",
]
MAX_UPLOAD = "2mb"
SCROLL_TO_QUOTE = "() => { const m = document.querySelector('#article mark'); if (m) m.scrollIntoView({block: 'center'}); }"
QUEUE_SIZE = int(os.environ.get("QA_QUEUE_SIZE", "32"))  # bounded: a flood gets "busy", not a pile-up

CSS = """
.article { max-height: 640px; overflow-y: auto; font-family: Georgia, 'Times New Roman', serif; line-height: 1.55; }
.article h3 { font-family: system-ui, sans-serif; margin: 0 0 .5em 0; }
.article p { margin: 0 0 .8em 0; }
.article .pn { display: inline-block; min-width: 1.8em; color: #888; font: 12px system-ui, sans-serif; }
.article mark { background: #fff1a8; padding: 1px 0; border-radius: 2px; }
.article mark.top { background: #ffd84d; }
#chat .bot strong { font-size: 1em; }
#chat .bot blockquote { font-family: Georgia, 'Times New Roman', serif; }
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
                cls = "top" if n == 0 and not res.abstained else ""
                sentence = f"<mark class='{cls}' title='quote {n + 1}'>{sentence}</mark>"
            parts.append(sentence)
            pos = b
        parts.append(html.escape(text[pos:int(state.para_end[pid])]))
        body.append(f"<p><span class='pn'>{int(state.paragraph[in_para[0]])}</span>{''.join(parts)}</p>")
    body = "".join(body)
    return f"<div class='article'><h3>{html.escape(doc.title)}</h3>{body}</div>"


def build(index: Index):
    import gradio as gr

    def choices() -> list[tuple[str, str]]:
        return [(d.title if d.title == d.id else f"{d.title} ({d.id})", d.id) for d in index.state.documents]

    def user_questions(history: list) -> list[str]:
        out = []
        for m in history or []:
            role = m.get("role") if isinstance(m, dict) else getattr(m, "role", None)
            content = m.get("content") if isinstance(m, dict) else getattr(m, "content", None)
            if role == "user":
                if isinstance(content, list):  # Gradio may hand content back as a list of parts
                    content = " ".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
                out.append(str(content))
        return out

    def reply(message: str, history: list, docs: list[str] | None) -> tuple[str, Answer | None]:
        try:
            res = converse(user_questions(history) + [message], docs=docs or None, index=index)
        except ValueError as exc:
            return f"**Cannot answer:** {html.escape(str(exc))}", None
        return str(res), res

    def respond(message: str, history: list, docs: list[str] | None):
        history = list(history or [])
        if not isinstance(message, str) or not message.strip():
            return "", history, gr.skip()
        text, res = reply(message, history, docs)
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": text}]
        return "", history, article_html(index, res) if res is not None else gr.skip()

    def upload(path: str | None, selected: list[str] | None):
        if not path:
            return gr.skip(), gr.skip(), gr.skip()
        name = Path(path).name
        try:  # Gradio already refused anything over MAX_UPLOAD; parsing checks the rest
            with open(path, "rb") as f:
                doc = index.add(name, f.read())
        except (IngestError, OSError) as exc:
            return f"**Upload refused:** {html.escape(str(exc))}. Nothing was changed.", gr.skip(), None
        ids = [d.id for d in index.state.documents]
        keep = [d for d in (selected or []) if d in ids] + [doc.id]
        return (f"Added **{html.escape(doc.title)}** ({len(index.state.rows_of(doc.id))} sentences). Ask away.",
                gr.update(choices=choices(), value=keep), None)

    def api_retrieve(question: str, k: int = 5, docs: list[str] | None = None) -> list[dict]:
        """The k passages that best answer the question, best first, with all Passage fields."""
        try:
            return [p.to_dict() for p in retrieve(question, k=k, docs=docs or None, index=index)]
        except ValueError as exc:
            raise gr.Error(str(exc)) from None

    def api_chat(message: str, history: list[str] | None = None, docs: list[str] | None = None) -> str:
        """The chat's reply as Markdown; ``history`` is the earlier questions, for follow-ups."""
        try:
            return str(converse(list(history or []) + [message], docs=docs or None, index=index))
        except ValueError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="article-qa: quotes with attribution") as demo:
        gr.Markdown("## Ask the articles\nEvery answer is a verbatim quote, with who said it and where it stands.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Answers", height=520, sanitize_html=True, allow_tags=False,
                                  latex_delimiters=[], elem_id="chat", buttons=["copy"],
                                  feedback_options=None)
                with gr.Row():
                    msg = gr.Textbox(placeholder="Ask about the articles, e.g. Who did Zelensky commend?",
                                     show_label=False, scale=5, max_length=2000, elem_id="question", submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                gr.Markdown("Try:")
                with gr.Row():
                    example_buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in EXAMPLES]
            with gr.Column(scale=2):
                docs = gr.CheckboxGroup(choices=choices(), value=[d.id for d in index.state.documents],
                                        label="Search in", elem_id="docs")
                article = gr.HTML(article_html(index, None), elem_id="article")
                with gr.Accordion("Add an article (.txt, .md, .html)", open=False):
                    file = gr.File(file_types=[".txt", ".md", ".html", ".htm"], type="filepath", elem_id="upload")
                    status = gr.Markdown(elem_id="upload-status")
        asked = [send.click(respond, [msg, chat, docs], [msg, chat, article], api_visibility="private"),
                 msg.submit(respond, [msg, chat, docs], [msg, chat, article], api_visibility="private")]
        for b, q in zip(example_buttons, EXAMPLES):
            asked.append(b.click(lambda q=q: q, None, msg, api_visibility="private").then(
                respond, [msg, chat, docs], [msg, chat, article], api_visibility="private"))
        for event in asked:  # bring the best quote into view in the article
            event.then(None, js=SCROLL_TO_QUOTE)
        file.upload(upload, [file, docs], [status, docs, file], api_visibility="private")
        gr.api(api_retrieve, api_name="retrieve")
        gr.api(api_chat, api_name="chat")
    return demo


def serve(index: Index, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Start the chat with the index and the question encoder loaded first, so the first question
    is answered warm; sentence-transformers (3 s to import) waits for the first upload."""
    index.refresh()
    index.query_encoder.encode(["warm up"])
    demo = build(index)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=2)
    blocked = [str(Path(p).resolve()) for p in (index.settings.seeds, index.settings.index)]
    log.info("web chat on http://%s:%d", host, port)
    demo.launch(server_name=host, server_port=port, share=False, show_error=False, max_file_size=MAX_UPLOAD,
                enable_monitoring=False, blocked_paths=blocked, footer_links=["api"], css=CSS,
                prevent_thread_lock=not block, quiet=True)
    return demo
