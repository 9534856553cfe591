"""Phrase: the words of a quoted sentence that answer the question, when the kind of answer is clear.

No reader model ships offline, so this is a typed match: a "when" question is answered by the
date or year in the sentence, "how many" by its number, "who" by a name, "where" by a place
named after a preposition of place. Among the sentence's phrases of that type, the one the
question does not already name is chosen, nearest to the words the question shares with the
sentence. Shown only for the question types where ``qa eval`` measured it precise enough on the
odd (held-out) SQuAD articles (see PRECISE); for the others nothing is marked rather than the
wrong words.
"""

from __future__ import annotations

import re

from .rerank import question_type

_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
           r"Jan\.|Feb\.|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)")
_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WHEN = re.compile(
    rf"\b(?:(?:\d{{1,2}} {_MONTHS}(?:,? \d{{4}})?|{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    rf"|{_MONTHS} \d{{4}}|{_MONTHS}|{_DAYS}(?: night| morning| evening)?|(?:the )?(?:early |late |mid-)?\d{{4}}s?"
    rf"|(?:the )?\d{{1,2}}(?:st|nd|rd|th) century|last (?:year|week|month|night)|yesterday))\b")
_NUMBER = re.compile(r"(?:\$|£|€)?\b\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent|million|billion|thousand|hundred|"
                     r"km|kilometres|kilometers|miles|m|metres|meters|feet|people|years|days))?\b|\b(?:one|two|three|four|"
                     r"five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?)\b(?:\s(?:million|"
                     r"billion|thousand|hundred))?", re.I)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?|[A-Z]\.)"
                   r"(?:\s+(?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?|[A-Z]\.|de|van|von|al-))*")
_PLACE = re.compile(r"\b(?:in|at|near|from|to|across|outside|inside|into)\s+"
                    r"((?:the\s+)?[A-Z][\w'-]*(?:\s+(?:of\s+)?[A-Z][\w'-]*)*)")
_WORD = re.compile(r"\w+")

# Question types shown: those whose phrase matched the gold answer in at least 60% of cases where
# the top sentence was right, on the odd SQuAD articles (qa eval, "answer phrase").
PRECISE = ("when", "number")


def _spans(qtype: str, sentence: str) -> list[tuple[int, int]]:
    if qtype == "when":
        return [m.span() for m in _WHEN.finditer(sentence)]
    if qtype == "number":
        return [m.span() for m in _NUMBER.finditer(sentence)]
    if qtype == "where":
        return [m.span(1) for m in _PLACE.finditer(sentence)]
    if qtype == "who":
        return [m.span() for m in _NAME.finditer(sentence) if m.start() > 0 or len(m.group().split()) > 1]
    return []


def answer_span(question: str, sentence: str, types: tuple[str, ...] = PRECISE) -> tuple[int, int] | None:
    """Character span in ``sentence`` of the phrase that answers ``question``, or None."""
    qtype = question_type(question)
    if qtype not in types:
        return None
    qwords = {w.lower() for w in _WORD.findall(question)}
    found = [(a, b) for a, b in _spans(qtype, sentence)
             if not {w.lower() for w in _WORD.findall(sentence[a:b])} <= qwords]
    if not found:
        return None
    anchors = [m.start() for m in _WORD.finditer(sentence) if m.group().lower() in qwords and len(m.group()) > 3]
    if not anchors:
        return found[0]
    return min(found, key=lambda s: min(abs(s[0] - x) for x in anchors))
