"""Normalising the names of actors, so that "President Macron", "Macron's" and
"Emmanuel Macron" can be recognised as one actor.

Used by the merge of partial briefings and by the eval's actor matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["name_key", "name_keys", "names_match", "surname"]

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
