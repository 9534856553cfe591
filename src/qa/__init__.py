"""article-qa: ask questions of news articles, get verbatim quotes with attribution.

    >>> from qa import retrieve, answer
    >>> retrieve("Which unit did Zelensky praise?", k=3)[0].speaker
    'Volodymyr Zelensky'
"""

from .answer import Answer, answer
from .index import Index
from .ingest import Document, IngestError
from .retrieve import Passage, QuestionError, retrieve

__all__ = ["Answer", "Document", "Index", "IngestError", "Passage", "QuestionError", "answer", "retrieve"]
__version__ = "0.1.0"
