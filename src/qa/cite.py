"""Cite: one quote as plain text a person can check, the same wherever it is printed.

    “He commended the 225th Assault Regiment ...” — Volodymyr Zelensky, Zelensky confirms ...,
    paragraph 4, sentence 2

The sentence is counted within its paragraph, as a reader counts it with the article open;
``Passage.sentence`` (0-based through the whole article) is for programs.
"""

from __future__ import annotations

from .retrieve import Passage


def citation(passage: Passage) -> str:
    """The quote in quotation marks, then speaker, article title, paragraph and sentence."""
    where = f"paragraph {passage.paragraph}"
    if passage.sentence_in_paragraph:
        where += f", sentence {passage.sentence_in_paragraph}"
    who = [passage.speaker] if passage.speaker else []
    return f"“{passage.text}” — " + ", ".join(who + [passage.title, where])
