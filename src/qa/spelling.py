"""Spelling: "zelenksy regimnet" -> "zelensky regiment", against the index's own words.

A general English dictionary knows neither "Zelensky" nor "Belgorod", and would "correct" them;
the only words worth suggesting are the ones the articles contain. symspellpy looks a word up
among them by edit distance (Damerau: a swap of two letters costs one); a word whose stem the
index knows is not misspelt ("commend" beside "commended"), since BM25 matches stems. The dictionary is built
from the indexed sentences, titles and speakers on first use and kept per index generation
(measured: the seed article's 279 words in 12 ms; SQuAD dev's 22,359 words in 0.76 s; a
suggestion then takes 0.04 ms). It is built only when a question finds nothing, so a server
that is never asked a misspelt question never builds it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

from .index import Index, State

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_cache: dict[tuple, object] = {}
_lock = threading.Lock()
MIN_LENGTH = 4  # shorter words are too ambiguous to correct: "won" is not a misspelt "on"


def _key(state: State) -> tuple:
    return (str(state.generation), len(state), id(state) if state.generation is None else 0)


def dictionary(state: State):
    """The SymSpell dictionary of one generation's words, built once per generation."""
    key = _key(state)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            return found
    from symspellpy import SymSpell

    counts: Counter = Counter()
    for text in state.texts():
        counts.update(w.lower() for w in _WORD.findall(text))
    for d in state.documents:
        counts.update(w.lower() for w in _WORD.findall(d.title))
    for who in {w for w in state.speaker if w is not None}:
        counts.update(w.lower() for w in _WORD.findall(who))
    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for word, n in counts.items():
        sym.create_dictionary_entry(word, n)
    from .lexical import stemmer

    sym.stems = frozenset(stemmer().stemWords(list(counts)))  # "commend" is known through "commended"
    with _lock:
        if len(_cache) >= 2:  # the current generation and the one before, for a reader mid-swap
            _cache.pop(next(iter(_cache)))
        _cache[key] = sym
    return sym


def suggest(question: str, index: Index) -> str | None:
    """The question with its unknown words replaced by the closest words of the index, or None
    when every word is known or no close word exists. Stop words and question words ("who",
    "did") are never corrected: they need not occur in any article."""
    from symspellpy import Verbosity

    from .answer import _stopwords
    from .lexical import stemmer
    from .retrieve import clean_question

    q = clean_question(question)
    sym = dictionary(index.state)
    stem = stemmer().stemWord
    words = sym.words
    stop = _stopwords()
    out, pos, changed = [], 0, False
    for m in _WORD.finditer(q):
        word = m.group()
        low = word.lower()
        if len(low) < MIN_LENGTH or low in words or low in stop or stem(low) in sym.stems:
            continue
        hits = [h for h in sym.lookup(low, Verbosity.CLOSEST, max_edit_distance=1 if len(low) <= 5 else 2)
                if h.term not in stop and len(h.term) >= MIN_LENGTH]
        if not hits:
            continue
        best = max(hits, key=lambda s: (-s.distance, s.count)).term
        if word[:1].isupper():
            best = best[:1].upper() + best[1:]
        out.append(q[pos:m.start()])
        out.append(best)
        pos = m.end()
        changed = True
    if not changed:
        return None
    out.append(q[pos:])
    return "".join(out)
