"""Every error a user of qa can cause, in one place: what the CLI, the chat, the HTTP API and the MCP
tools report in one line instead of a traceback.

Each is a ``QAError``, and a ``QAError`` is a ``ValueError``, so code written against the older
``except ValueError`` keeps working. Anything that is not a ``QAError`` is a bug (or an unreadable
path, ``OSError``), and the edges let it through with its traceback rather than report it as bad
input. The modules that raise them re-export them (``from qa.ingest import IngestError`` works).
"""

from __future__ import annotations

__all__ = ["BadIndex", "FetchError", "IngestError", "InputError", "LibraryError", "ModelError", "NoIndex",
           "QAError", "QuestionError", "SeedsMissing", "SettingError", "SpeakerError"]


class QAError(ValueError):
    """Input or settings a person can correct; the message says what to change, in one line."""


class SeedsMissing(QAError):
    """The seeds folder the settings name does not exist; the message names the path and the rule."""


class SettingError(QAError):
    """A setting (a flag or an environment variable) with a value qa cannot use, e.g. QA_QUEUE_SIZE=lots."""


class ModelError(QAError):
    """The model the settings name (--model, QA_MODEL) cannot be loaded; the message names it."""


class QuestionError(QAError):
    """A question that cannot be asked as it is; the message says what to change."""


class IngestError(QAError):
    """A file that cannot become a document; the message names the file and the reason."""


class FetchError(QAError):
    """A URL that was not fetched; the message says why, in one line."""


class LibraryError(QAError):
    """A library request that cannot be carried out; the message says why."""


class SpeakerError(QAError):
    """A name that matches no speaker, or several; the message lists the candidates."""


class InputError(QAError):
    """A request the API refuses before any work (too long a history, too many ids)."""


class BadIndex(QAError, RuntimeError):
    """An index on disk that cannot be used as it is (the message says why, in one line). Still a
    RuntimeError, as it was before it became a QAError; qa rebuilds from the seeds when it meets one."""


class NoIndex(BadIndex):
    """Nothing built yet: the ordinary first start, not damage worth a warning."""
