"""Normalising the names of actors, so that "President Macron", "Macron's" and
"Emmanuel Macron" can be recognised as one actor.

Used by the merge of partial briefings and by the eval's actor matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["mentioned_names", "name_key", "name_keys", "names_match", "surname"]

_TITLES = {
    "president",
    "vice",
    "prime",
    "minister",
    "chancellor",
    "secretary",
    "general",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "king",
    "queen",
    "prince",
    "princess",
    "senator",
    "sen",
    "rep",
    "representative",
    "governor",
    "gov",
    "mayor",
    "judge",
    "justice",
    "chief",
    "ceo",
    "chairman",
    "chairwoman",
    "chair",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "foreign",
    "finance",
    "defense",
    "defence",
    "former",
    "the",
    "us",
    "french",
    "russian",
    "ukrainian",
    "british",
    "american",
    "german",
    "chinese",
    "pope",
    "ambassador",
    "commissioner",
    "director",
    "deputy",
    "attorney",
    "col",
    "gen",
    "lt",
    "capt",
    "sgt",
    "adm",
}
_POSSESSIVE = re.compile(r"(?:'s|’s|s'|s’)\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w\s-]")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(name: str) -> str:
    """A comparable form of a name: case, diacritics, punctuation, possessive and titles gone.

    Titles are dropped only when something else remains, so "the President" stays comparable.
    """
    text = _POSSESSIVE.sub("", _fold(name))
    text = _NON_WORD.sub(" ", text.replace(".", "").replace("’", "'"))
    words = [w.strip("-") for w in text.split() if w.strip("-")]
    words = [w for w in words if w not in ("the", "a", "an")] or words
    kept = [w for w in words if w not in _TITLES]
    return " ".join(kept or words)


def surname(name: str) -> str:
    """The last word of a person's name key ("" for one-word names)."""
    words = name_key(name).split()
    return words[-1] if len(words) > 1 else ""


def name_keys(name: str, aliases: Iterable[str] = (), *, person: bool = True) -> set[str]:
    """Every key under which an actor may be found: its name, its aliases, a person's surname."""
    keys = {name_key(n) for n in (name, *aliases)}
    last = surname(name) if person else ""
    if len(last) > 2:
        keys.add(last)
    keys.discard("")
    return keys


def names_match(
    a: str, a_aliases: Iterable[str], b: str, b_aliases: Iterable[str], *, person: bool = True
) -> bool:
    """True when two actors share a name, alias or (for people) surname key."""
    return bool(name_keys(a, a_aliases, person=person) & name_keys(b, b_aliases, person=person))


# --- names mentioned in an article ----------------------------------------------------------

# A capitalised word ("Zelenskyy", "Mock-Gruet", "O'Neill", "Lévy"), optionally possessive.
_CAP_WORD = r"[^\W\d_a-z][\w’'-]*"
# Lower-case particles that may sit inside a name ("Charles de Gaulle", "Ursula von der Leyen").
_PARTICLES = r"(?:de|du|da|di|del|der|den|van|von|la|le|al|bin|ibn)"
_NAME_RUN = re.compile(rf"{_CAP_WORD}(?:[ \u00a0](?:{_PARTICLES}[ \u00a0])*{_CAP_WORD})+")
# Capitalised words that start sentences or clauses and are never part of a name.
_NOT_NAMES = {
    "a",
    "an",
    "according",
    "after",
    "although",
    "and",
    "as",
    "at",
    "before",
    "but",
    "by",
    "during",
    "earlier",
    "for",
    "from",
    "however",
    "if",
    "in",
    "it",
    "later",
    "meanwhile",
    "on",
    "since",
    "so",
    "that",
    "the",
    "then",
    "these",
    "this",
    "those",
    "to",
    "when",
    "while",
    "with",
    "yet",
}
_OF_BEFORE = re.compile(r"\bof[ \u00a0]$")


def mentioned_names(text: str, *, limit: int = 30) -> list[str]:
    """Multi-word capitalised names in ``text``, in order of first mention, without titles.

    A cheap, rule-based pass ("French President Emmanuel Macron" gives "Emmanuel Macron",
    "President of Ukraine Volodymyr Zelenskyy" gives "Volodymyr Zelenskyy"): it finds people
    and organisations with multi-word names, along with some places and phrases that are not
    names at all. It is a checklist for the model, never an answer on its own.
    """
    found: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        if _is_headline(line):
            continue
        for match in _NAME_RUN.finditer(line):
            name = _strip_name(
                match.group(0), after_of=bool(_OF_BEFORE.search(line, 0, match.start()))
            )
            key = name_key(name) if name else ""
            if key and key not in seen:
                seen.add(key)
                found.append(name)
                if len(found) >= limit:
                    return found
    return found


def _is_headline(line: str) -> bool:
    """A title-case line (a headline or subheading): its capitals say nothing about names."""
    words = [w for w in line.split() if w[:1].isalpha()]
    if not words or len(words) > 20 or line.rstrip()[-1] in '.:;!?"”’':
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return len(words) >= 3 and capitalised / len(words) >= 0.6


def _strip_name(run: str, *, after_of: bool) -> str:
    words = run.replace("\u00a0", " ").split(" ")
    words[-1] = _POSSESSIVE.sub("", words[-1])
    # "President of Ukraine Volodymyr Zelenskyy": the word after "of" is the place.
    if len(words) > 2 and after_of:
        words = words[1:]
    # "Danish Prime Minister Mette Frederiksen": the name follows the last title word.
    titled = [i for i, w in enumerate(words[:-2]) if _fold(w) in _TITLES]
    if titled:
        words = words[titled[-1] + 1 :]
    while words and (_fold(words[0]) in _TITLES or _fold(words[0]) in _NOT_NAMES):
        words = words[1:]
    if len(words) < 2 or words[-1][0].islower():
        return ""
    return " ".join(words)
