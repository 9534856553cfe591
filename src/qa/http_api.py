"""HTTP API: the chat's answers as JSON endpoints (``/retrieve``, ``/chat``, ``/speakers``,
``/quotes``), served by the same Gradio app as the page (qa/ui.py) through ``gr.api``.

Gradio reads each method's signature, type hints and docstring for the endpoint's schema, so the
parameters are named as in Python (``question``, ``k``, ``docs``). Every list is capped before any
work (qa/security.py's Limits), and a user's error comes back as one line, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from . import speakers as speaking
from .answer import converse
from .errors import InputError, QAError
from .retrieve import retrieve
from .security import Limits, refused, short

if TYPE_CHECKING:
    from .index import Index


class Api:
    """The endpoints of one index, within one server's limits."""

    def __init__(self, index: Index, limits: Limits) -> None:
        self.index, self.limits = index, limits

    def check_lists(self, history: object, docs: object) -> None:
        """Caps checked before any work, so a 100,000-entry list is refused, not echoed or searched."""
        limits = self.limits
        if history is not None and (not isinstance(history, (list, tuple)) or len(history) > limits.history_items):
            n = len(history) if isinstance(history, (list, tuple)) else type(history).__name__
            raise InputError(f"history must be a list of at most {limits.history_items} questions, not {n}")
        if docs is not None and isinstance(docs, (list, tuple)) and len(docs) > limits.docs_items:
            raise InputError(f"docs lists {len(docs):,} ids; at most {limits.docs_items:,} are allowed")

    @staticmethod
    def _error(what: str, exc: Exception) -> Exception:
        import gradio as gr

        refused(what, exc)
        return gr.Error(short(exc, 300), print_exception=False)

    def retrieve(self, question: str | None = None, k: int = 5, docs: list[str] | None = None) -> list[dict]:
        """The k passages that best answer the question, best first, with all Passage fields."""
        try:
            self.check_lists(None, docs)
            question = cast(str, question)  # None or not text: a QuestionError from retrieve's own check
            return [p.to_dict() for p in retrieve(question, k=k, docs=docs or None, index=self.index)]
        except QAError as exc:
            raise self._error("/retrieve", exc) from None

    def chat(self, message: str | None = None, history: list[str] | None = None, docs: list[str] | None = None) -> str:
        """The chat's reply as Markdown; ``history`` is the earlier questions, for follow-ups."""
        try:
            self.check_lists(history, docs)
            if not all(isinstance(h, str) for h in history or []):
                raise InputError("history must be a list of earlier questions (strings)")
            message = cast(str, message)  # None or not text: a QuestionError from retrieve's own check
            return str(converse(list(history or []) + [message], docs=docs or None, index=self.index))
        except QAError as exc:
            raise self._error("/chat", exc) from None

    def speakers(self) -> list[dict]:
        """Every speaker with the number of sentences attributed to them, most quoted first."""
        return [s.to_dict() for s in speaking.speakers(self.index)]

    def quotes(self, name: str | None = None) -> list[dict]:
        """Every sentence attributed to the speaker (a unique part of a name will do), in article order."""
        try:
            if isinstance(name, str) and len(name) > 200:
                raise InputError(f"a speaker's name is at most 200 characters, not {len(name):,}")
            return [p.to_dict() for p in speaking.quotes(self.index, name)]
        except QAError as exc:
            raise self._error("/quotes", exc) from None

    def register(self, gr) -> None:
        """Inside a ``gr.Blocks``: the four endpoints, by these names."""
        for fn in (self.retrieve, self.chat, self.speakers, self.quotes):
            gr.api(fn, api_name=fn.__name__)
