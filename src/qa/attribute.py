"""Attribute: who is speaking in each sentence, from the conventions of news writing.

Rules, not a model: reporters mark speech in a handful of fixed shapes (`"...," Name said`,
`Name told X`, `Name noted that ...`, `He added ...`, `according to Name`), and rules over those
shapes are predictable, fast at index time and explainable to the person reading the quote.
Surnames are expanded to the fullest form the article itself gives ("Zelensky" ->
"Volodymyr Zelensky"), because the article is the only authority we quote.
"""

from __future__ import annotations

import re

SPEECH_VERBS = {
    "said", "says", "say", "told", "tells", "added", "adds", "noted", "notes", "stated", "states",
    "claimed", "claims", "claim", "argued", "argues", "wrote", "writes", "explained", "explains",
    "warned", "warns", "asked", "asks", "replied", "announced", "announces", "insisted", "insists",
    "confirmed", "confirms", "reported", "reports", "questioned", "questions", "acknowledged",
    "admitted", "denied", "denies", "declared", "suggested", "suggests", "stressed", "emphasized",
    "emphasised", "predicted", "recalled", "responded", "estimated", "believes", "believed",
    "alleged", "alleges", "tweeted", "posted", "commented", "remarked", "urged", "vowed", "promised",
    "cautioned", "countered", "conceded", "observed", "testified", "concluded", "maintained",
}
PARTICIPLES = {"adding", "saying", "noting", "telling", "warning", "arguing", "stressing", "insisting", "explaining", "writing"}
AUXILIARIES = {"has", "have", "had", "also", "later", "previously", "reportedly", "then", "again", "once",
               "further", "separately", "publicly", "repeatedly", "recently", "already", "had", "would", "will"}
PRONOUNS = {"he", "she", "they"}
TITLES = {
    "president", "vice", "prime", "minister", "general", "gen.", "colonel", "col.", "lt.", "lieutenant",
    "captain", "capt.", "sergeant", "sgt.", "senator", "sen.", "representative", "rep.", "governor", "gov.",
    "mayor", "secretary", "chancellor", "king", "queen", "prince", "princess", "pope", "judge", "justice",
    "dr.", "mr.", "mrs.", "ms.", "prof.", "professor", "chairman", "chairwoman", "chair", "director",
    "ambassador", "commissioner", "spokesman", "spokeswoman", "spokesperson", "ceo", "chief", "officer",
    "commander", "adm.", "admiral", "marshal", "premier", "deputy", "foreign", "defense", "defence",
    "leader", "speaker", "sheikh", "rabbi", "bishop", "cardinal", "father", "rev.", "lord", "lady", "sir",
    "dame", "analyst", "mp", "lawmaker", "coach", "manager", "founder", "editor", "author",
}
CONNECTORS = {"of", "the", "for", "and", "de", "van", "von", "der", "al", "bin", "la", "le", "du", "da"}
DETERMINERS = {"the", "some", "many", "several", "a", "an", "other", "most", "two", "three", "both"}
BOUNDARY = {",", ";", ":", "that", "however", "but", "while", "and", "as", "who", "which", "—", "–", "(", ")",
            "though", "although", "because", "since", "when", "if", "after", "before", "where", "so", "whether"}
PREPOSITIONS = {"of", "in", "on", "at", "to", "from", "with", "by", "for", "into", "about", "near", "over", "under"}

_TOKEN = re.compile(r"[A-Za-z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*|[\"“”]|[^\w\s]")
_QUOTE_CHARS = {'"', "“", "”"}


def _tokens(sentence: str) -> list[str]:
    toks = []
    for t in _TOKEN.findall(sentence):
        # A sentence-final period belongs to the sentence, not to the last word ("said Smith.").
        if len(t) > 1 and t.endswith(".") and not re.fullmatch(r"(?:[A-Za-z]\.)+|[A-Z][a-z]{0,3}\.", t):
            toks.extend([t[:-1], "."])
        else:
            toks.append(t)
    return toks


def _capitalized(tok: str) -> bool:
    return tok[:1].isupper() and not tok.endswith(("'s", "’s")) and tok.lower() not in PRONOUNS


def _outside_quotes(tokens: list[str]) -> list[bool]:
    """Which tokens stand outside quotation marks: a verb inside a quote is the speaker's, not the reporter's."""
    inside, out = False, []
    for t in tokens:
        if t in _QUOTE_CHARS:
            inside = (not inside) if t == '"' else (t == "“")
            out.append(False)
        else:
            out.append(not inside)
    return out


def _run_before(tokens: list[str], i: int) -> list[str]:
    """The capitalized name run ending just before index i (connectors allowed inside it)."""
    run: list[str] = []
    j = i - 1
    while j >= 0:
        t = tokens[j]
        if _capitalized(t) and t not in _QUOTE_CHARS:
            run.insert(0, t)
        elif t.lower() in CONNECTORS and run:
            # "Institute for the Study of War": a chain of connectors inside a capitalized name.
            k = j
            while k >= 0 and tokens[k].lower() in CONNECTORS:
                k -= 1
            if k < 0 or not _capitalized(tokens[k]) or tokens[k] in _QUOTE_CHARS:
                break
            run[:0] = tokens[k + 1:j + 1]
            j = k
            continue
        else:
            break
        j -= 1
    return run


def _run_after(tokens: list[str], i: int) -> list[str]:
    run: list[str] = []
    for t in tokens[i:]:
        if _capitalized(t) or (t.lower() in CONNECTORS and run):
            run.append(t)
        else:
            break
    while run and run[-1].lower() in CONNECTORS:
        run.pop()
    return run


def _name(run: list[str]) -> str | None:
    """Strip titles and affiliations: "U.S. President Donald Trump" -> "Donald Trump"."""
    if not run:
        return None
    lowered = [t.lower() for t in run]
    # "Emil Kastehelmi of the Black Bird Group": a person, then an affiliation.
    if "of" in lowered:
        k = lowered.index("of")
        head = run[:k]
        if 1 <= len(head) and all(_capitalized(t) for t in head) and not any(t.lower() in CONNECTORS for t in head):
            titled = [n for n, t in enumerate(head) if t.lower() in TITLES]
            person = head[titled[-1] + 1:] if titled else head
            if person and len(person) <= 4 and not (len(person) == 1 and person[0].lower() in TITLES):
                return " ".join(person)
    titled = [n for n, t in enumerate(run) if t.lower() in TITLES and "of" not in lowered[:n]]
    if titled and titled[-1] + 1 < len(run):
        run = run[titled[-1] + 1:]
    if run and run[0].lower() == "the":
        run = run[1:]
    if not run or all(t.lower() in TITLES for t in run):
        return None
    return " ".join(run)


def _phrase_before(tokens: list[str], i: int) -> str | None:
    """A common-noun subject such as "Russian officials" or "some Russian sources"."""
    words: list[str] = []
    j = i - 1
    while j >= 0 and tokens[j].lower() not in BOUNDARY and tokens[j] not in _QUOTE_CHARS and tokens[j] != ".":
        words.insert(0, tokens[j])
        j -= 1
    while words and words[0].lower() in DETERMINERS:
        words.pop(0)
    if any(w.lower() in PREPOSITIONS for w in words):
        return None  # "weeks of battlefield reports": a noun, not a speaker
    if not words or len(words) > 6 or words[0].lower() in {"it", "this", "which", "there", "we", "i", "you"}:
        return None
    if not any(w[:1].isalpha() for w in words):
        return None
    return " ".join(words)


def _skip_aux(tokens: list[str], i: int) -> int:
    j = i
    while j > 0 and (tokens[j - 1].lower() in AUXILIARIES or tokens[j - 1].lower().endswith("ly") and tokens[j - 1].islower()):
        j -= 1
    return j


def _subject(tokens: list[str], verb: int, previous: str | None) -> str | None:
    j = _skip_aux(tokens, verb)
    run = _run_before(tokens, j)
    if run:
        return _name(run)
    if j > 0 and tokens[j - 1].lower() in PRONOUNS:
        return previous
    if j > 0 and tokens[j - 1] in _QUOTE_CHARS | {","} and j < len(tokens):
        # `"...," said Zelensky` -- the inverted order, maybe with a role first ("said harbour master Rui Tavares").
        j = verb + 1
        while j < len(tokens) and j - verb <= 3 and tokens[j].islower() and tokens[j].isalpha():
            j += 1
        return _name(_run_after(tokens, j))
    return _phrase_before(tokens, j)


def speaker_of(sentence: str, previous: str | None = None) -> str | None:
    """The speaker named in one sentence, or ``previous`` for a pronoun or an unattributed quote."""
    tokens = _tokens(sentence)
    outside = _outside_quotes(tokens)
    for i, t in enumerate(tokens):
        if outside[i] and t.lower() in SPEECH_VERBS and not (i + 1 < len(tokens) and tokens[i + 1].lower() == "of"):
            who = _subject(tokens, i, previous)
            if who:
                return who
    lowered = [t.lower() for t in tokens]
    for i in range(len(tokens) - 2):
        if outside[i] and lowered[i] == "according" and lowered[i + 1] == "to":
            who = _name(_run_after(tokens, i + 2))
            if who:
                return who
    if any(outside[i] and t.lower() in PARTICIPLES for i, t in enumerate(tokens)):
        if tokens and tokens[0].lower() in PRONOUNS:
            return previous
        run = _run_after(tokens, 0)
        if run:
            return _name(run)
    if tokens and tokens[0] in _QUOTE_CHARS:
        return previous  # a quote standing alone continues the last speaker
    return None


def _full_names(text: str) -> dict[str, str]:
    """Map each surname to the fullest "First Last" the document gives for it."""
    full: dict[str, str] = {}
    for m in re.finditer(r"(?=\b([A-Z][\w'’\-]+)\s+([A-Z]\.\s+)?([A-Z][\w'’\-]+)\b)", text):  # overlapping
        first, middle, last = m.group(1), m.group(2) or "", m.group(3)
        if first.lower() in TITLES or first.lower() in CONNECTORS or last.endswith(("'s", "’s")):
            continue
        full.setdefault(last, f"{first} {middle}{last}")
    return full


def speakers(text: str, spans: list[tuple[int, int, int]]) -> list[str | None]:
    """Speakers for the sentences of one document; spans are (paragraph, start, end)."""
    full = _full_names(text)
    out: list[str | None] = []
    last: str | None = None
    last_paragraph = None
    for paragraph, a, b in spans:
        previous = last if paragraph == last_paragraph or last_paragraph is None or paragraph == last_paragraph + 1 else None
        who = speaker_of(text[a:b], previous)
        if who and " " not in who and who in full:
            who = full[who]
        out.append(who)
        if who and (who == previous or who[:1].isupper()):
            last = who
        last_paragraph = paragraph
    return out
