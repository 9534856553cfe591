"""article-qa: ask questions of news articles, get verbatim quotes with attribution.

    >>> from qa import retrieve, answer
    >>> hit = retrieve("Which regiment did Zelensky commend?", k=3)[0]
    >>> hit.speaker, hit.paragraph
    ('Volodymyr Zelensky', 4)
"""

from .answer import Answer, answer
from .config import Settings
from .errors import QAError, QuestionError, SeedsMissing
from .index import Index
from .ingest import Document, IngestError
from .retrieve import Passage, retrieve


def _version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is written); a
    checkout run from its source folder without being installed reads it from pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("article-qa")
    except PackageNotFoundError:
        import re
        from pathlib import Path

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M) \
            if pyproject.is_file() else None
        return found.group(1) if found else "0+unknown"


__version__ = _version()
__all__ = ["Answer", "Document", "Index", "IngestError", "Passage", "QAError", "QuestionError", "SeedsMissing",
           "Settings", "__version__", "answer", "retrieve"]
