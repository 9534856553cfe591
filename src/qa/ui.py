"""UI: the Gradio web chat, and the same answers over HTTP (``/retrieve``, ``/chat``).

The page shows quotes beside the article they come from, so a reader can check each one in
context. Every string from an article, a title or a question reaches the page through
``html.escape`` (qa/display.py for the chat, ``article_html`` here), the chat renders that HTML
with Markdown off, and Gradio's sanitiser stays on as a second line.

Who may add articles, and how much anyone may send, is decided here and in qa/security.py:
uploads are on by default only on a loopback address, a login (Gradio's own) is required before
uploads are served to other machines, every upload is marked as one wherever it is quoted, and
uploads run outside the question queue so a burst of them never makes questions wait.
"""

from __future__ import annotations

import html
import inspect
import logging
import os
import threading
from pathlib import Path

import numpy as np

from . import display
from .answer import Answer, converse
from .index import Index
from .ingest import IngestError
from .provenance import label
from .retrieve import retrieve
from .security import Guard, Limits, Window, allowed_hosts, refused, short

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
UPLOADS_AT_ONCE = 3  # one indexing, two waiting for the lock; more are told the server is busy
SHOWN_MESSAGES = 40  # the chat keeps its last 20 exchanges, so what the page sends back stays small
# Upload-cache files that no upload event claimed are deleted after this long (Gradio's delete_cache).
CACHE_SECONDS = int(os.environ.get("QA_UPLOAD_CACHE_SECONDS", "300"))

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
#chat .bot .attr { margin: 0 0 .8em 0; color: #444; }
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
                cls = "top" if n == 0 and not res.abstained else ""
                sentence = f"<mark class='{cls}' title='quote {n + 1}'>{sentence}</mark>"
            parts.append(sentence)
            pos = b
        parts.append(html.escape(text[pos:int(state.para_end[pid])]))
        body.append(f"<p><span class='pn'>{int(state.paragraph[in_para[0]])}</span>{''.join(parts)}</p>")
    body = "".join(body)
    up = state.upload_of(doc.id)
    note = label("upload", up.get("uploaded_at"), up.get("original_name")) if up else None
    note = f"<p class='upload'>⚠ {html.escape(note)}</p>" if note else ""
    return f"<div class='article'><h3>{html.escape(doc.title)}</h3>{note}{body}</div>"


class InputError(ValueError):
    """A request the API refuses before any work (too long a history, too many ids)."""


def build(index: Index, uploads: bool = True, limits: Limits | None = None):
    import gradio as gr

    limits = limits or Limits.from_env()
    articles_this_hour = Window(limits.uploads_per_hour)
    upload_slots = threading.BoundedSemaphore(UPLOADS_AT_ONCE)

    def choices() -> list[tuple[str, str]]:
        state = index.state
        return [((d.title if d.title == d.id else f"{d.title} ({d.id})") + (" · uploaded" if state.upload_of(d.id) else ""),
                 d.id) for d in state.documents]

    def known(docs: list[str] | None) -> list[str]:
        ids = {d.id for d in index.state.documents}
        return [d for d in docs or [] if d in ids]

    def check_lists(history: object, docs: object) -> None:
        """Caps checked before any work, so a 100,000-entry list is refused, not echoed or searched."""
        if history is not None and (not isinstance(history, (list, tuple)) or len(history) > limits.history_items):
            n = len(history) if isinstance(history, (list, tuple)) else type(history).__name__
            raise InputError(f"history must be a list of at most {limits.history_items} questions, not {n}")
        if docs is not None and isinstance(docs, (list, tuple)) and len(docs) > limits.docs_items:
            raise InputError(f"docs lists {len(docs):,} ids; at most {limits.docs_items:,} are allowed")

    def user_questions(history: list) -> list[str]:
        out = []
        for m in history or []:
            role = m.get("role") if isinstance(m, dict) else getattr(m, "role", None)
            content = m.get("content") if isinstance(m, dict) else getattr(m, "content", None)
            if role == "user":
                if isinstance(content, list):  # Gradio may hand content back as a list of parts
                    content = " ".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
                out.append(html.unescape(str(content)))  # shown escaped (display.question)
        return out

    def respond(message: str, history: list, docs: list[str] | None):
        history = list(history or [])[-SHOWN_MESSAGES:]
        if not isinstance(message, str) or not message.strip():
            return "", history, gr.skip()
        try:
            res = converse(user_questions(history) + [message], docs=known(docs) or None, index=index)
            text = display.reply(res)
        except ValueError as exc:
            refused("question", exc)
            res, text = None, display.message(short(exc, 300), lead="Cannot answer:")
        history += [{"role": "user", "content": display.question(message)}, {"role": "assistant", "content": text}]
        return "", history[-SHOWN_MESSAGES:], article_html(index, res) if res is not None else gr.skip()

    def refuse_upload(why: str):
        refused("upload", why)
        return display.message(f"{why}. Nothing was changed.", lead="Upload refused:"), gr.skip(), None

    def upload(path: str | None, selected: list[str] | None):
        if not path:
            return gr.skip(), gr.skip(), gr.skip()
        name = Path(path).name
        try:
            if not upload_slots.acquire(blocking=False):
                return refuse_upload("the server is busy indexing other uploads; try again in a minute")
            try:
                if not articles_this_hour.take():
                    return refuse_upload(f"this server takes at most {limits.uploads_per_hour} articles an hour")
                try:  # Gradio already refused anything over MAX_UPLOAD; parsing checks the rest
                    with open(path, "rb") as f:
                        doc = index.add(name, f.read(), original_name=name)
                except (IngestError, OSError) as exc:
                    articles_this_hour.give_back()
                    return refuse_upload(short(exc, 300))
            finally:
                upload_slots.release()
        finally:
            Path(path).unlink(missing_ok=True)  # read once; the cache keeps nothing it no longer needs
        stored = next(p.name for p in index.settings.seeds.iterdir() if p.stem == doc.id)
        keep = known(selected) + [doc.id]
        status = (f"<p>Added <b>{html.escape(doc.title)}</b> as <code>{html.escape(stored)}</code> "
                  f"({len(index.state.rows_of(doc.id))} sentences), marked as an upload in every quote. Ask away.</p>")
        return status, gr.update(choices=choices(), value=known(keep)), None

    def api_error(what: str, exc: Exception):
        refused(what, exc)
        return gr.Error(short(exc, 300), print_exception=False)

    def api_retrieve(question: str | None = None, k: int = 5, docs: list[str] | None = None) -> list[dict]:
        """The k passages that best answer the question, best first, with all Passage fields."""
        try:
            check_lists(None, docs)
            return [p.to_dict() for p in retrieve(question, k=k, docs=docs or None, index=index)]
        except ValueError as exc:
            raise api_error("/retrieve", exc) from None

    def api_chat(message: str | None = None, history: list[str] | None = None, docs: list[str] | None = None) -> str:
        """The chat's reply as Markdown; ``history`` is the earlier questions, for follow-ups."""
        try:
            check_lists(history, docs)
            if not all(isinstance(h, str) for h in history or []):
                raise InputError("history must be a list of earlier questions (strings)")
            return str(converse(list(history or []) + [message], docs=docs or None, index=index))
        except ValueError as exc:
            raise api_error("/chat", exc) from None

    with gr.Blocks(title="article-qa: quotes with attribution", delete_cache=(max(1, CACHE_SECONDS // 2), CACHE_SECONDS)) as demo:
        gr.Markdown("## Ask the articles\nEvery answer is a verbatim quote, with who said it and where it stands.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Answers", height=520, sanitize_html=True, allow_tags=False, render_markdown=False,
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
                if uploads:
                    with gr.Accordion("Add an article (.txt, .md, .html)", open=False):
                        file = gr.File(file_types=[".txt", ".md", ".html", ".htm"], type="filepath", elem_id="upload")
                        status = gr.HTML(elem_id="upload-status")
        asked = [send.click(respond, [msg, chat, docs], [msg, chat, article], api_visibility="private"),
                 msg.submit(respond, [msg, chat, docs], [msg, chat, article], api_visibility="private")]
        for b, q in zip(example_buttons, EXAMPLES):
            asked.append(b.click(lambda q=q: q, None, msg, api_visibility="private").then(
                respond, [msg, chat, docs], [msg, chat, article], api_visibility="private"))
        for event in asked:  # bring the best quote into view in the article
            event.then(None, js=SCROLL_TO_QUOTE)
        if uploads:  # not queued behind questions, nor they behind it: bounded by upload_slots instead
            file.upload(upload, [file, docs], [status, docs, file], api_visibility="private",
                        concurrency_limit=None, concurrency_id="uploads")
        # A new tab lists what the index holds now, never an id that is not in it.
        demo.load(lambda: gr.update(choices=choices(), value=[d.id for d in index.state.documents]), None, docs,
                  api_visibility="private", queue=False)
        gr.api(api_retrieve, api_name="retrieve")
        gr.api(api_chat, api_name="chat")
    return demo


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """``user:password[,user2:password2]`` (from --auth or QA_AUTH) as Gradio's auth list."""
    if not value:
        return None
    pairs = []
    for item in value.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError("--auth / QA_AUTH must be USER:PASSWORD (comma-separated for several)")
        pairs.append((user, password))
    return pairs


def serve(index: Index, host: str = "127.0.0.1", port: int = 7860, block: bool = True, uploads: bool | None = None,
          auth: list[tuple[str, str]] | None = None, extra_hosts: tuple[str, ...] = ()):
    """Start the chat with the index and the question encoder loaded first, so the first question
    is answered warm; sentence-transformers (3 s to import) waits for the first upload.

    Uploads default to on only on a loopback address; on any other address they need a login,
    and the server refuses to start without one rather than let anyone plant articles."""
    from starlette.middleware import Middleware

    from .security import is_loopback

    local = is_loopback(host)
    uploads = local if uploads is None else uploads
    if uploads and not local and not auth:
        raise ValueError(f"refusing to serve uploads on {host} without a login: add --auth USER:PASSWORD "
                         f"(or QA_AUTH), or --no-uploads")
    if not local and not auth:
        log.warning("serving %s without a login: anyone who can reach port %d can ask questions", host, port)
    index.refresh()
    for w in index.warnings:
        log.warning(w)
    index.query_encoder.encode(["warm up"])
    limits = Limits.from_env()
    demo = build(index, uploads=uploads, limits=limits)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=2)
    blocked = [str(Path(p).resolve()) for p in (index.settings.seeds, index.settings.index)]
    hosts = allowed_hosts(host, extra_hosts)
    api = {}
    for fn_index, fn in demo.fns.items():  # the public API's functions, by name and by index
        if fn.api_name in ("retrieve", "chat"):
            params = tuple(inspect.signature(fn.fn).parameters)
            api[fn.api_name] = api[fn_index] = (fn.api_name, params)
    log.info("web chat on http://%s:%d (uploads %s, login %s; hosts %s)", host, port, "on" if uploads else "off",
             "on" if auth else "off", ", ".join(hosts))
    demo.launch(server_name=host, server_port=port, share=False, show_error=False, max_file_size=MAX_UPLOAD,
                enable_monitoring=False, blocked_paths=blocked, footer_links=["api"], css=CSS,
                prevent_thread_lock=not block, quiet=True, auth=auth,
                app_kwargs={"middleware": [Middleware(Guard, hosts=hosts, limits=limits, uploads=uploads, api=api)]})
    return demo
