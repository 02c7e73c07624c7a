"""Normalising the names of actors, so that "President Macron", "Macron's" and
"Emmanuel Macron" can be recognised as one actor.

Used by the merge of partial briefings and by the eval's actor matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

__all__ = [
    "CAPITALISED",
    "ORG_HEADS",
    "mentioned_names",
    "name_key",
    "name_keys",
    "names_match",
    "surname",
]

# Words that are titles on their own when a name follows: "President Macron", "Dr. Osei".
_TITLES = frozenset(
    {
        "president", "minister", "chancellor", "secretary", "mr", "mrs", "ms", "dr", "prof",
        "professor", "sir", "dame", "lord", "lady", "king", "queen", "prince", "princess",
        "senator", "sen", "rep", "representative", "governor", "gov", "mayor", "judge",
        "justice", "chief", "ceo", "chairman", "chairwoman", "chair", "spokesman",
        "spokeswoman", "spokesperson", "pope", "ambassador", "commissioner", "director", "col",
        "gen", "lt", "capt", "sgt", "adm",
    }
)  # fmt: skip
# Words that belong to a title only when a title follows them ("Prime Minister", "Former US
# President", "Attorney General"): on their own they may begin the name of an organisation
# ("US government", "American Airlines", "French Open", "Prime Video").
_TITLE_MODIFIERS = frozenset(
    {
        "vice", "prime", "foreign", "finance", "defense", "defence", "former", "deputy",
        "attorney", "us", "uk", "french", "russian", "ukrainian", "british", "american",
        "german", "chinese", "major", "brigadier", "lieutenant", "surgeon", "solicitor",
        "inspector", "first", "acting",
    }
)  # fmt: skip
# "General" is a title after these ("Attorney General", "Secretary-General", "Major General").
_GENERAL_AFTER = frozenset(
    {
        "attorney", "secretary", "director", "governor", "inspector", "solicitor", "surgeon",
        "major", "brigadier", "lieutenant", "lt",
    }
)  # fmt: skip
# Before a name, "General" is a rank ("General Mark Milley"); before these it names a company
# or a body ("General Motors Company", "General Electric Vernova", "UN General Assembly").
_ORGANISATION_WORDS = frozenset(
    {
        "company", "co", "corp", "corporation", "inc", "ltd", "plc", "llc", "group",
        "holdings", "partners", "motors", "electric", "mills", "dynamics", "atomics", "foods",
        "assembly", "hospital", "council", "court", "staff", "secretariat",
    }
)  # fmt: skip
_POSSESSIVE = re.compile(r"(?:'s|’s|s'|s’)\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w\s-]")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _title_kind(words: Sequence[str], i: int) -> Literal["title", "modifier", ""]:
    """Whether the folded ``words[i]`` is, in its place, a title, a title's modifier or neither."""
    word = words[i]
    if "-" in word:  # "Secretary-General", "Vice-President": one word, one title
        *head, last = word.split("-")
        if all(p in _TITLES or p in _TITLE_MODIFIERS for p in head) and (
            last in _TITLES or last == "general"
        ):
            return "title"
        return ""
    if word == "general":
        after_title = i > 0 and words[i - 1] in _GENERAL_AFTER
        rest = words[i + 1 :]
        before_a_person = len(rest) >= 2 and not any(w in _ORGANISATION_WORDS for w in rest)
        return "title" if after_title or before_a_person else ""
    if word in _TITLES:
        return "title"
    return "modifier" if word in _TITLE_MODIFIERS else ""


def _name_start(words: Sequence[str]) -> int:
    """Where the name begins in the folded ``words``: after the last titles that precede it.

    Titles are a run of title words that ends in a title ("French President", "Attorney
    General"). At the start they may precede a surname alone ("President Macron"); further in,
    whatever comes before them goes too, but only when a full name follows ("Danish Prime
    Minister Mette Frederiksen"), since a title word inside a name is more likely part of it.
    """
    start = i = 0
    while i < len(words):
        j, end = i, 0
        while j < len(words) and (kind := _title_kind(words, j)):
            if kind == "title":
                end = j + 1
            j += 1
        if end:
            rest = words[end:]
            if len(rest) >= (1 if i == 0 else 2):
                start = end
        i = max(j, i + 1)
    return start


def name_key(name: str) -> str:
    """A comparable form of a name: case, diacritics, punctuation, possessive and titles gone.

    Titles are dropped only where they stand before a name ("US President Donald Trump",
    "Attorney General Merrick Garland"): a bare title ("the President") stays comparable, and
    an organisation keeps the words that can be titles ("General Electric", "US government").
    """
    text = _POSSESSIVE.sub("", _fold(name))
    text = _NON_WORD.sub(" ", text.replace(".", "").replace("’", "'"))
    words = [w.strip("-") for w in text.split() if w.strip("-")]
    words = [w for w in words if w not in ("the", "a", "an")] or words
    return " ".join(words[_name_start(words) :])


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

# A run of capitalised words ("Public Utilities Commission", "U.S."), for the rules that look
# around a name in running text.
CAPITALISED = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*"
# A capitalised word ("Zelenskyy", "Mock-Gruet", "O'Neill", "Lévy"), optionally possessive.
_CAP_WORD = r"[^\W\d_a-z][\w’'-]*"
# Lower-case particles that may sit inside a name ("Charles de Gaulle", "Ursula von der Leyen").
_PARTICLES = r"(?:de|du|da|di|del|der|den|van|von|la|le|al|bin|ibn)"
_NAME_RUN = re.compile(rf"{_CAP_WORD}(?:[ \u00a0](?:{_PARTICLES}[ \u00a0])*{_CAP_WORD})*")
# "National Bureau of Statistics", "Democratic Republic of Congo", "Bank of England": an
# organisation word before "of" and a capitalised name after it make one name.
_OF_TAIL = re.compile(rf"[ \u00a0]of[ \u00a0](?:the[ \u00a0])?{_CAP_WORD}(?:[ \u00a0]{_CAP_WORD})*")
ORG_HEADS = frozenset(
    {
        "academy", "agency", "alliance", "assembly", "association", "authority", "bank",
        "board", "bureau", "centre", "center", "chamber", "church", "coalition", "college",
        "commission", "committee", "congress", "corps", "council", "court", "department",
        "federation", "foundation", "fund", "institute", "kingdom", "league", "ministry",
        "office", "organisation", "organization", "parliament", "party", "republic", "school",
        "secretariat", "service", "society", "tribunal", "union", "university",
    }
)  # fmt: skip
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
# Dates that touch a name in running text ("told reporters Wednesday Cambodia was", "seats in
# the National Assembly Sunday"); months that are also given names (May, June) are left alone.
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_MONTHS = {
    "january", "february", "march", "july", "september", "october", "november", "december",
}  # fmt: skip


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
        covered = 0  # the end of the last "X of Y" name: its second half is not a name
        for match in _NAME_RUN.finditer(line):
            if match.start() < covered:
                continue
            whole = _of_name(match, line)
            if whole is not None:
                name, covered = whole
            else:
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


def _of_name(match: re.Match[str], line: str) -> tuple[str, int] | None:
    """The whole "X of Y" name when ``match`` ends with an organisation word, and where it ends
    in ``line``; None when it does not."""
    words = match.group(0).replace("\u00a0", " ").split(" ")
    tail = _OF_TAIL.match(line, match.end())
    if tail is None or _fold(words[-1]) not in ORG_HEADS:
        return None
    if _OF_BEFORE.search(line, 0, match.start()):
        return None  # "President of the Republic of Congo": one "of" at a time
    while words and (_fold(words[0]) in _NOT_NAMES or _fold(words[0]) in _WEEKDAYS):
        words = words[1:]
    ending = tail.group(0).replace("\u00a0", " ").split(" ")[1:]  # "of", ["the"], the name
    ending[-1] = _POSSESSIVE.sub("", ending[-1])
    while len(ending) > 2 and _fold(ending[-1]) in _WEEKDAYS | _MONTHS:
        ending = ending[:-1]
    if not words or sum(1 for w in ending if w[:1].isupper()) > 2:
        return None  # "of Statistics Sheng Laiyun": where the name after "of" ends is unclear
    return " ".join(words + ending), tail.end()


def _strip_name(run: str, *, after_of: bool) -> str:
    words = run.replace("\u00a0", " ").split(" ")
    words[-1] = _POSSESSIVE.sub("", words[-1])
    # "President of Ukraine Volodymyr Zelenskyy": the word after "of" is the place.
    if len(words) > 2 and after_of:
        words = words[1:]
    while words and (_fold(words[0]) in _NOT_NAMES or _fold(words[0]) in _WEEKDAYS):
        words = words[1:]
    while words and _fold(words[-1]) in _WEEKDAYS | _MONTHS:
        words = words[:-1]
    # "Danish Prime Minister Mette Frederiksen": the name follows the titles.
    words = words[_name_start([_fold(w) for w in words]) :]
    if len(words) < 2 or words[-1][0].islower():
        return ""
    return " ".join(words)
