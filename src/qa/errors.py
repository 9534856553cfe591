"""The errors a user can meet, in one place: each says what went wrong in one line."""

from __future__ import annotations


class QAError(ValueError):
    """A user-facing error: bad input or a setting that cannot work; the message is the whole story."""


class BadIndex(RuntimeError):
    """An index on disk that cannot be used as it is (the message says why, in one line)."""


class NoIndex(BadIndex):
    """Nothing built yet: the ordinary first start, not damage worth a warning."""
