"""article-qa: ask questions of news articles, get verbatim quotes with attribution.

    >>> from qa import retrieve, answer
    >>> hit = retrieve("Which regiment did Zelensky commend?", k=3)[0]
    >>> hit.speaker, hit.paragraph
    ('Volodymyr Zelensky', 4)
"""

from .answer import Answer, answer
from .index import Index
from .ingest import Document, IngestError
from .retrieve import Passage, QuestionError, retrieve

__all__ = ["Answer", "Document", "Index", "IngestError", "Passage", "QuestionError", "answer", "retrieve"]
__version__ = "0.1.0"
