"""``qa mcp``: the articles as tools for agents, over the Model Context Protocol (stdio).

Four tools, each a thin shell over the Python API with the same argument names:

    retrieve(question, k=5, docs=None)   the passages, best first (Passage.to_dict())
    answer(question, k=3, docs=None)     the reply as Markdown, and whether it abstained
    list_articles()                      id, title and number of sentences of every article
    speaker_quotes(name)                 every sentence attributed to a person, in article order

Built on the official SDK (``mcp``, the ``mcp`` extra). Bad input (an empty question, k out of
range, an unknown article) is a tool error carrying qa's one-line message, for the agent to read
and correct; the server keeps running. stdout is the protocol: the index is loaded, and the model
warmed, with the process's stdout pointed at stderr, and every log line goes to stderr.
"""

import logging
import os
import sys
import threading
import unicodedata
from contextlib import contextmanager
from typing import Annotated, cast

import numpy as np
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one, not typing's, before Python 3.12

from . import __version__
from .answer import answer as _answer
from .errors import QAError, QuestionError
from .index import Index, State
from .retrieve import MAX_K
from .retrieve import retrieve as _retrieve

log = logging.getLogger(__name__)

VERBATIM = "Every quote is the article's exact text (text == article[start:end]), never paraphrased or generated."

INSTRUCTIONS = (
    "Question answering over a fixed set of news articles, by quotation only. " + VERBATIM + " "
    "Use `answer` for a reply to show a person (Markdown quotes with attribution, or a plain statement that "
    "the articles do not cover the question), `retrieve` for the passages as data, `list_articles` for the "
    "article ids that `docs` accepts, and `speaker_quotes` for everything one person is quoted as saying. "
    "When you quote, keep the attribution: speaker, article title, paragraph and sentence."
)

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


# -- schemas -------------------------------------------------------------------------------------
# Output schemas name every field, so an agent knows what it gets before it calls; tests check they
# match Passage and Answer.to_dict(), which other modules own.

class PassageOut(TypedDict):
    text: Annotated[str, Field(description="the sentence, exactly the article's text from start to end")]
    doc: Annotated[str, Field(description="article id (see list_articles)")]
    title: str
    paragraph: Annotated[int, Field(description="paragraph number, from 1")]
    sentence: Annotated[int, Field(description="sentence number within the article, from 0")]
    start: Annotated[int, Field(description="character offset of the sentence in the article")]
    end: int
    score: Annotated[float, Field(description="second stage: probability (0-1) that this is the sentence that answers")]
    speaker: Annotated[str | None, Field(description="who is quoted or reported, in full; null if nobody")]
    fused: Annotated[float | None, Field(description="the first stage's score, kept beside the second stage's")]
    answer: Annotated[str | None, Field(description="the words that answer (a date, a number), when clear")]
    answer_start: Annotated[int | None, Field(description="character offset of answer in the article")]
    answer_end: int | None
    confidence: Annotated[float | None, Field(description="probability that the articles answer the question with "
                                                          "this sentence; below answer's threshold: not covered")]
    sentence_in_paragraph: Annotated[int, Field(description="sentence number within its paragraph, from 1")]
    source: Annotated[str, Field(description='"seed" (curated) or "upload" (added by a visitor of the web chat)')]
    uploaded_at: Annotated[str | None, Field(description="when a visitor uploaded it (UTC, ISO 8601)")]
    original_name: Annotated[str | None, Field(description="the uploaded file's own name")]


class AnswerOut(TypedDict):
    markdown: Annotated[str, Field(description="the reply as Markdown, also the tool's text content")]
    abstained: Annotated[bool, Field(description="true: the articles do not cover the question; "
                                                 "the one passage given is the closest, not an answer")]
    question: str
    searched: Annotated[str, Field(description="the question as searched")]
    threshold: Annotated[float, Field(description="the confidence below which it abstains")]
    note: Annotated[str | None, Field(description="why there is nothing to quote, when more specific")]
    passages: list[PassageOut]


class ArticleOut(TypedDict):
    id: Annotated[str, Field(description="the id to pass in docs")]
    title: str
    sentences: Annotated[int, Field(description="number of sentences indexed")]


class QuoteOut(TypedDict):
    text: Annotated[str, Field(description="the sentence, exactly the article's text from start to end")]
    speaker: Annotated[str, Field(description="the speaker as the article names them")]
    doc: str
    title: str
    paragraph: Annotated[int, Field(description="paragraph number, from 1")]
    sentence: Annotated[int, Field(description="sentence number within the article, from 0")]
    start: int
    end: int


Question = Annotated[str, Field(description="a question about the articles, in plain words")]
# The range is advertised in the schema but checked by qa (check_k), not by the SDK, so a bad k
# gets qa's one-line message rather than a multi-line validation report.
K = Annotated[int, Field(description=f"how many passages, 1 to {MAX_K}", json_schema_extra={"minimum": 1, "maximum": MAX_K})]
Name = Annotated[str, Field(description="the person's full name as the articles give it")]
Docs = Annotated[list[str] | None, Field(description="search only these article ids (see list_articles); "
                                                     "null or omitted: all articles")]


# -- speakers ------------------------------------------------------------------------------------
# TODO: use qa.speakers (being built) instead of this query over the index's rows.

def speaker_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


class _Speakers:
    """Rows of each speaker (by speaker_key) of one loaded state, built on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: State | None = None
        self._rows: dict[str, list[int]] = {}
        self._names: dict[str, str] = {}  # key -> a spelling the articles use

    def of(self, state: State) -> tuple[dict[str, list[int]], dict[str, str]]:
        with self._lock:
            if state is not self._state:
                rows: dict[str, list[int]] = {}
                names: dict[str, str] = {}
                for row, who in enumerate(state.speaker):
                    if who:
                        key = speaker_key(who)
                        rows.setdefault(key, []).append(row)
                        names.setdefault(key, who)
                self._state, self._rows, self._names = state, rows, names
            return self._rows, self._names


def quotes_of(state: State, name: str, speakers: _Speakers) -> list[QuoteOut]:
    """Every sentence attributed to ``name`` (case-insensitive, whole name), in article order."""
    if not isinstance(name, str) or not speaker_key(name):
        raise QuestionError("no speaker name given: give a person's name as the articles attribute it")
    key = speaker_key(name)
    by_key, names = speakers.of(state)
    rows = by_key.get(key)
    if not rows:
        words = set(key.split())
        near = sorted({names[k] for k in by_key if words & set(k.split())})
        hint = f"; did you mean: {', '.join(map(repr, near[:10]))}" if near else ""
        raise QuestionError(f"no sentence in the articles is attributed to {name!r}{hint}")
    rows_a = np.asarray(rows, dtype=np.int64)
    rows_a = rows_a[np.lexsort((state.sentence[rows_a], state.doc[rows_a]))]
    out: list[QuoteOut] = []
    current, text = -1, ""
    for row in rows_a.tolist():
        d = int(state.doc[row])
        if d != current:  # Document.text decodes the article; once per article, not per sentence
            current, text = d, state.documents[d].text
        doc = state.documents[d]
        a, b = int(state.start[row]), int(state.end[row])
        out.append({"text": text[a:b], "speaker": state.speaker[row], "doc": doc.id, "title": doc.title,
                    "paragraph": int(state.paragraph[row]), "sentence": int(state.sentence[row]), "start": a, "end": b})
    return out


def articles_of(state: State) -> list[ArticleOut]:
    return [{"id": d.id, "title": d.title, "sentences": len(state.rows_of(d.id))} for d in state.documents]


# -- the server ----------------------------------------------------------------------------------

@contextmanager
def _user_error():
    """qa's input errors (QAError: QuestionError, SpeakerError, ...) as tool errors, message intact;
    anything else is a bug and reaches the SDK as it is."""
    try:
        yield
    except QAError as exc:
        raise ToolError(str(exc)) from exc


def build_server(index: Index) -> MCPServer:
    """The MCP server over one loaded index (no transport yet; see serve)."""
    server = MCPServer("article-qa", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    speakers = _Speakers()

    @server.tool(name="retrieve", annotations=READ_ONLY, description=(
        "The k sentences of the articles that best answer the question, best first, each with its article, "
        "paragraph, sentence, character offsets, relevance score and speaker. " + VERBATIM + " "
        "Returns passages even when none answers; use `answer` to be told when the articles do not cover it."))
    def retrieve(question: Question, k: K = 5, docs: Docs = None) -> list[PassageOut]:
        with _user_error():
            return cast(list[PassageOut], [p.to_dict() for p in _retrieve(question, k=k, docs=docs, index=index)])

    @server.tool(name="answer", annotations=READ_ONLY, description=(
        "A reply to the question as Markdown: up to k quotes from the articles, each followed by its "
        "attribution (speaker, article, paragraph, sentence, score); or, when the articles do not cover the "
        "question, that statement with the closest sentence marked as not an answer (abstained: true). "
        + VERBATIM + " The structured result also carries the passages as data."))
    def answer(question: Question, k: K = 3, docs: Docs = None) -> Annotated[CallToolResult, AnswerOut]:
        with _user_error():
            res = _answer(question, k=k, docs=docs, index=index)
        markdown = str(res)
        return CallToolResult(content=[TextContent(type="text", text=markdown)],
                              structured_content={"markdown": markdown, **res.to_dict()})

    @server.tool(name="list_articles", annotations=READ_ONLY, description=(
        "Every indexed article: its id (what `docs` takes), its title and its number of sentences."))
    def list_articles() -> list[ArticleOut]:
        return articles_of(index.state)

    @server.tool(name="speaker_quotes", annotations=READ_ONLY, description=(
        "Every sentence the articles attribute to one person (quoted or reported speech), in article order, "
        "with article, paragraph, sentence and offsets. The name matches the whole attributed name, ignoring "
        "case (e.g. the `speaker` of a retrieve result); a name nobody is given is an error naming similar "
        "speakers. " + VERBATIM))
    def speaker_quotes(name: Name) -> list[QuoteOut]:
        with _user_error():
            return quotes_of(index.state, name, speakers)

    return server


@contextmanager
def stdout_to_stderr():
    """Point file descriptor 1 at stderr for a while: whatever a library prints while the index loads
    (Python or C) must not reach the client, which reads stdout as protocol from the first byte."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def serve(index: Index) -> None:
    """Load the index (building it if needed) and the model once, then serve MCP on stdin/stdout."""
    qa_log = logging.getLogger("qa")  # the package's logger, which the CLI gives its handler
    if qa_log.handlers:  # the CLI's stderr handler: not again through the root one the SDK installs
        qa_log.propagate = False
    with stdout_to_stderr():
        index.refresh(progress=True)
        for w in index.warnings:
            log.warning(w)
        index.query_encoder.encode(["warm up"])  # the model now, not in the first call
        server = build_server(index)
    st = index.state
    log.info("mcp: serving %d sentences from %d articles of %s on stdio", len(st), len(st.documents),
             index.settings.seeds)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        pass
