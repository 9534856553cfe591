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
from typing import TYPE_CHECKING

from . import display
from .answer import converse
from .config import Settings
from .errors import (
    IngestError,
    InputError,  # noqa: F401 (qa.ui.InputError, as before qa/errors.py)
    QAError,
    SettingError,
)
from .http_api import Api
from .index import Index
from .page import CSS, HEAD, SCROLL_TO_QUOTE, article_html
from .security import Guard, Limits, Window, allowed_hosts, refused, short

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry from a tool people trust with sources

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who did Zelensky commend?",
    "What did Trump say about Russia?",
    "Who is Emil Kastehelmi?",
    "Where is Demidovka?",
]
MAX_UPLOAD = "2mb"
SUFFIXES = [".txt", ".md", ".html", ".htm", ".pdf", ".docx"]
UPLOADS_AT_ONCE = 3  # one indexing, two waiting for the lock; more are told the server is busy
SHOWN_MESSAGES = 40  # the chat keeps its last 20 exchanges, so what the page sends back stays small
# Upload-cache files that no upload event claimed are deleted after this long (Gradio's delete_cache).
CACHE_SECONDS = int(os.environ.get("QA_UPLOAD_CACHE_SECONDS", "300"))


def build(index: Index, uploads: bool = True, limits: Limits | None = None) -> gr.Blocks:
    import gradio as gr

    from . import library, sources
    from . import speakers as speaking
    from .spelling import suggest

    limits = limits or Limits.from_env()
    articles_this_hour = Window(limits.uploads_per_hour)
    upload_slots = threading.BoundedSemaphore(UPLOADS_AT_ONCE)
    api = Api(index, limits)

    def choices() -> list[tuple[str, str]]:
        """(title, id) of every article the index holds now; the id only where two titles are alike."""
        state = index.state
        seen: dict[str, int] = {}
        for d in state.documents:
            seen[d.title] = seen.get(d.title, 0) + 1
        return [(d.title + (f" ({d.id})" if seen[d.title] > 1 else "") + (" · uploaded" if state.upload_of(d.id) else ""),
                 d.id) for d in state.documents]

    def speaker_choices() -> list[tuple[str, str]]:
        return [(f"{s.name} ({s.quotes} quote{'s' if s.quotes != 1 else ''})", s.name) for s in speaking.speakers(index)]

    def known(docs: list[str] | None) -> list[str]:
        ids = {d.id for d in index.state.documents}
        return [d for d in docs or [] if d in ids]

    def library_updates(selected: list[str] | None = None, reading: str | None = None, all_docs: bool = False):
        """The selector, the article chooser and the speakers, as the index holds them now."""
        ids = [d.id for d in index.state.documents]
        value = ids if all_docs else known(selected)
        reading = reading if reading in ids else (ids[0] if ids else None)
        return (gr.update(choices=choices(), value=value), gr.update(choices=choices(), value=reading),
                gr.update(choices=speaker_choices(), value=None))

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

    def respond(message: str, history: list, docs: list[str] | None, spell: bool = True):
        history = list(history or [])[-SHOWN_MESSAGES:]
        if not isinstance(message, str) or not message.strip():
            return "", history, gr.skip(), gr.skip()
        chosen = known(docs)
        res = None
        if not chosen:  # an empty selection is not "all": say so
            text = display.message("choose at least one article to search (tick it under “Search in”).",
                                   lead="Cannot answer:")
        else:
            try:
                earlier = user_questions(history)
                res = converse(earlier + [message], docs=chosen, index=index)
                text = display.reply(res)
                if spell and res.abstained and not res.note:
                    fixed = suggest(message, index)
                    if fixed and fixed != message:
                        better = converse(earlier + [fixed], docs=chosen, index=index)
                        if not better.abstained:
                            res, text = better, display.reply(better, corrected=fixed, original=message)
            except QAError as exc:
                refused("question", exc)
                res, text = None, display.message(short(exc, 300), lead="Cannot answer:")
        history += [{"role": "user", "content": display.question(message)}, {"role": "assistant", "content": text}]
        if res is None or not res.passages:
            return "", history[-SHOWN_MESSAGES:], gr.skip(), gr.skip()
        return "", history[-SHOWN_MESSAGES:], article_html(index, res), res.passages[0].doc

    def respond_exact(message: str, history: list, docs: list[str] | None):
        return respond(message, history, docs, spell=False)

    def read(doc_id: str | None):
        return article_html(index, None, doc_id) if doc_id else gr.skip()

    def refused_line(why: str) -> str:
        refused("upload", why)
        return display.message(f"{why}. Nothing was changed.", lead="Upload refused:")

    def take_slot() -> str | None:
        """Why an upload cannot start now, or None with a slot and one of this hour's articles taken."""
        if not upload_slots.acquire(blocking=False):
            return "the server is busy indexing other uploads; try again in a minute"
        if not articles_this_hour.take():
            upload_slots.release()
            return f"this server takes at most {limits.uploads_per_hour} articles an hour"
        return None

    def add_one(name: str, read_bytes) -> tuple[str, str | None]:
        """(status line, new doc id or None) of one article added through index.add."""
        why = take_slot()
        if why:
            return refused_line(why), None
        try:
            try:
                name, data, original = read_bytes()
                doc = index.add(name, data, original_name=original)
            except (QAError, OSError) as exc:
                articles_this_hour.give_back()
                why = short(exc, 300)
                return refused_line(why if why.startswith(name) else f"{short(name, 120)}: {why}"), None
        finally:
            upload_slots.release()
        stored = next((p.name for p in index.settings.seeds.iterdir() if p.stem == doc.id), doc.id)
        return (f"<p>Added <b>{html.escape(doc.title)}</b> as <code>{html.escape(stored)}</code> "
                f"({len(index.state.rows_of(doc.id))} sentences), marked as an upload in every quote. Ask away.</p>"), doc.id

    def finish(lines: list[str], added: list[str], selected: list[str] | None, reading: str | None):
        sel, chooser, who = library_updates(known(selected) + added, added[-1] if added else reading)
        article_out = article_html(index, None, added[-1]) if added else gr.skip()
        return "".join(lines), sel, chooser, who, article_out

    def upload(paths, selected: list[str] | None, reading: str | None):
        if not paths:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        paths = [paths] if isinstance(paths, str) else list(paths)
        lines, added = [], []
        for path in paths:
            name = Path(path).name

            def load(path=path, name=name):
                if Path(name).suffix.lower() not in SUFFIXES:
                    raise IngestError(f"{name}: unsupported file type {Path(name).suffix or '(none)'}; "
                                      f"use {', '.join(SUFFIXES)}")
                with open(path, "rb") as f:  # Gradio already refused anything over MAX_UPLOAD
                    return name, f.read(), name
            try:
                line, doc_id = add_one(name, load)
            finally:
                Path(path).unlink(missing_ok=True)  # read once; the cache keeps nothing it no longer needs
            lines.append(line)
            if doc_id:
                added.append(doc_id)
        return (*finish(lines, added, selected, reading), None)

    def fetch_url(url: str, selected: list[str] | None, reading: str | None):
        url = (url or "").strip()
        if not url:
            return display.message("type a web page's address, starting http:// or https://", lead="Fetch refused:"), \
                gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if not sources.is_url(url) or len(url) > 2000:
            return refused_line(f"{short(url, 80)} is not an http(s) address"), gr.skip(), gr.skip(), gr.skip(), \
                gr.skip(), gr.skip()

        def load():
            name, data = sources.fetch_article(url)  # qa.fetch: local addresses refused unless QA_FETCH_LOCAL=1
            existing = index.settings.seeds / name
            if existing.exists():
                raise IngestError(f"{short(url, 120)} was already added as {existing.stem}")
            return name, data, url
        line, doc_id = add_one(url, load)
        return (*finish([line], [doc_id] if doc_id else [], selected, reading), "" if doc_id else gr.skip())

    def delete(doc_id: str | None, selected: list[str] | None):
        if not doc_id:
            return display.message("no article chosen; nothing was deleted.", lead="Delete:"), gr.skip(), gr.skip(), \
                gr.skip(), gr.skip()
        doc = index.document(doc_id)
        title = doc.title if doc else doc_id
        try:
            library.remove(index, doc_id)
        except (QAError, OSError) as exc:
            refused("delete", exc)
            return display.message(short(exc, 300), lead="Delete refused:"), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        sel, chooser, who = library_updates(selected, None)
        first = index.state.documents[0].id if index.state.documents else None
        return (f"<p>Deleted <b>{html.escape(title)}</b>.</p>", sel, chooser, who, article_html(index, None, first))

    def show_speaker(name: str | None):
        if not name:
            return ""
        try:
            found = speaking.quotes(index, name)
        except QAError as exc:
            return display.message(short(exc, 300), lead="No such speaker:")
        return (f"<p><b>{display.esc(name)}</b>: {len(found)} quote{'s' if len(found) != 1 else ''}</p>"
                + display.passages(found))

    def on_load(selected: list[str] | None, reading: str | None):
        try:
            index.refresh()  # articles added or removed by another process (qa add, qa remove) are listed too
        except Exception as exc:  # a broken seed must not blank the page; the old index stays in use
            log.warning("refresh on page load failed: %s", short(exc))
        sel, chooser, who = library_updates(None, None, all_docs=True)
        ids = [d.id for d in index.state.documents]
        return sel, chooser, who, article_html(index, None, ids[0] if ids else None)

    first_id = index.state.documents[0].id if index.state.documents else None
    with gr.Blocks(title="article-qa: quotes with attribution", delete_cache=(max(1, CACHE_SECONDS // 2), CACHE_SECONDS)) as demo:
        gr.Markdown("## Ask the articles\nEvery answer is a verbatim quote, with who said it and where it stands.")
        with gr.Row():
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(label="Answers", height=520, sanitize_html=True, allow_tags=False, render_markdown=False,
                                  latex_delimiters=[], elem_id="chat", buttons=["copy"],
                                  feedback_options=None, autoscroll=False)  # SCROLL_TO_QUOTE scrolls to the question
                with gr.Row():
                    msg = gr.Textbox(placeholder="Ask about the articles, e.g. Who did Zelensky commend?",
                                     show_label=False, scale=5, max_length=2000, elem_id="question", submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    exact = gr.Button("Ask as typed", elem_id="ask-exact")
                gr.Markdown("Try:")
                with gr.Row():
                    example_buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in EXAMPLES]
                with gr.Accordion("Speakers", open=False, elem_id="speakers-panel"):
                    who = gr.Dropdown(choices=speaker_choices(), value=None, label="Everything one speaker said",
                                      elem_id="speakers", interactive=True)
                    said = gr.HTML(elem_id="speaker-quotes")
            with gr.Column(scale=2, min_width=320):
                docs = gr.CheckboxGroup(choices=choices(), value=[d.id for d in index.state.documents],
                                        label="Search in", elem_id="docs")
                reading = gr.Dropdown(choices=choices(), value=first_id, label="Read an article", elem_id="reading",
                                      interactive=True)
                article = gr.HTML(article_html(index, None, first_id), elem_id="article")
                if uploads:
                    # No file_types filter: Gradio drops a file of another type in the browser with no word
                    # in the status; here the server refuses it and says why, in one line.
                    with gr.Accordion("Add an article (.txt, .md, .html, .pdf, .docx, or a web page)", open=False):
                        file = gr.File(file_count="multiple", type="filepath", elem_id="upload")
                        with gr.Row():
                            url = gr.Textbox(placeholder="https://… a news article's address", show_label=False,
                                             scale=4, max_length=2000, elem_id="url")
                            fetch = gr.Button("Fetch", scale=1, elem_id="fetch")
                        status = gr.HTML(elem_id="upload-status")
                    with gr.Accordion("Delete an article", open=False):
                        remove = gr.Button("Delete the article shown above", variant="stop", elem_id="delete")
                        removed = gr.HTML(elem_id="delete-status")
        ask_io = ([msg, chat, docs], [msg, chat, article, reading])
        asked = [send.click(respond, *ask_io, api_visibility="private"),
                 msg.submit(respond, *ask_io, api_visibility="private"),
                 exact.click(respond_exact, *ask_io, api_visibility="private")]
        for b, q in zip(example_buttons, EXAMPLES):
            asked.append(b.click(lambda q=q: q, None, msg, api_visibility="private").then(
                respond, *ask_io, api_visibility="private"))
        for event in asked:  # bring the best quote into view in the article panel (not the page)
            event.then(None, js=SCROLL_TO_QUOTE)
        reading.input(read, reading, article, api_visibility="private", queue=False)
        who.input(show_speaker, who, said, api_visibility="private", queue=False)
        if uploads:  # not queued behind questions, nor they behind it: bounded by upload_slots instead
            lib = [status, docs, reading, who, article]
            file.upload(upload, [file, docs, reading], lib + [file], api_visibility="private",
                        concurrency_limit=None, concurrency_id="uploads")
            for ev in (fetch.click, url.submit):
                ev(fetch_url, [url, docs, reading], lib + [url], api_visibility="private",
                   concurrency_limit=None, concurrency_id="uploads")
            remove.click(delete, [reading, docs], [removed, docs, reading, who, article], api_visibility="private",
                         concurrency_limit=None, concurrency_id="uploads",
                         js="(d, s) => confirm('Delete this article from the library? Its file is removed and the "
                            "index rebuilt.') ? [d, s] : [null, s]")
        # Every page load lists what the index holds now, never an id that is not in it.
        demo.load(on_load, [docs, reading], [docs, reading, who, article], api_visibility="private", queue=False)
        api.register(gr)
    return demo


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """``user:password[,user2:password2]`` (from --auth or QA_AUTH) as Gradio's auth list."""
    if not value:
        return None
    pairs = []
    for item in value.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise SettingError("--auth / QA_AUTH must be USER:PASSWORD (comma-separated for several)")
        pairs.append((user, password))
    return pairs


def serve(index: Index, host: str = "127.0.0.1", port: int = 7860, block: bool = True, uploads: bool | None = None,
          auth: list[tuple[str, str]] | None = None, extra_hosts: tuple[str, ...] = (),
          settings: Settings | None = None) -> gr.Blocks:
    """Start the chat with the index and the question encoder loaded first, so the first question
    is answered warm; sentence-transformers (3 s to import) waits for the first upload.

    Uploads default to on only on a loopback address; on any other address they need a login,
    and the server refuses to start without one rather than let anyone plant articles (SettingError).
    ``settings`` (default: the index's own) sizes the question queue (``queue_size``)."""
    from starlette.middleware import Middleware

    from .security import is_loopback

    local = is_loopback(host)
    uploads = local if uploads is None else uploads
    if uploads and not local and not auth:
        raise SettingError(f"refusing to serve uploads on {host} without a login: add --auth USER:PASSWORD "
                         f"(or QA_AUTH), or --no-uploads")
    if not local and not auth:
        log.warning("serving %s without a login: anyone who can reach port %d can ask questions", host, port)
    index.refresh()
    for w in index.warnings:
        log.warning(w)
    index.query_encoder.encode(["warm up"])
    limits = Limits.from_env()
    demo = build(index, uploads=uploads, limits=limits)
    settings = settings or index.settings
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=2)
    blocked = [str(Path(p).resolve()) for p in (index.settings.seeds, index.settings.index)]
    hosts = allowed_hosts(host, extra_hosts)
    api: dict[int | str, tuple[str, tuple[str, ...]]] = {}
    for fn_index, fn in demo.fns.items():  # the public API's functions, by name and by index
        if fn.api_name in ("retrieve", "chat", "speakers", "quotes") and fn.fn is not None:
            params = tuple(inspect.signature(fn.fn).parameters)
            api[fn.api_name] = api[fn_index] = (fn.api_name, params)
    log.info("web chat on http://%s:%d (uploads %s, login %s; hosts %s)", host, port, "on" if uploads else "off",
             "on" if auth else "off", ", ".join(hosts))
    demo.launch(server_name=host, server_port=port, share=False, show_error=False, max_file_size=MAX_UPLOAD,
                enable_monitoring=False, blocked_paths=blocked, footer_links=["api"], css=CSS, head=HEAD,
                prevent_thread_lock=not block, quiet=True, auth=auth,
                app_kwargs={"middleware": [Middleware(Guard, hosts=hosts, limits=limits, uploads=uploads, api=api)]})
    return demo
