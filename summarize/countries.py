"""Countries that act in a story: silent actors that attribution cannot find.

A country often holds no quote and is still one of the story's actors: "The US on Tuesday
deported five men", "Cambodia has until now not received an answer", "China earlier this
year unveiled stimulus measures". Small models list the people who speak and leave such
countries out. A country is an actor here when the article makes it the subject of a verb at
least once; a country only ever named as a place ("in Cambodia"), a possessor ("Burundi's
presidential election"), an object ("pressure on Russia") or a modifier ("US troops") is not.

Country names come from CLDR (``babel``, the English territory names news writers use:
"Russia", "Vietnam", "South Korea"), with the short forms news also uses ("US", "Britain").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from babel import Locale

from summarize.names import name_keys
from summarize.schema import Actor, Briefing

__all__ = ["acting_countries", "add_acting_countries", "country_names"]

# CLDR two-letter codes that are not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
# The name a briefing gives a country (when CLDR's differs), then the other names news uses.
_NEWS_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("United States", "US", "U.S.", "USA", "U.S.A.", "America"),
    "GB": ("United Kingdom", "UK", "U.K.", "Britain", "Great Britain"),
    "CD": (
        "Democratic Republic of Congo",
        "Democratic Republic of the Congo",
        "DRC",
        "DR Congo",
        "Congo",
    ),
    "CG": ("Republic of Congo", "Congo-Brazzaville"),
    "CI": ("Ivory Coast", "Côte d’Ivoire", "Côte d'Ivoire"),
    "CZ": ("Czech Republic", "Czechia"),
    "TR": ("Turkey", "Türkiye"),
    "MM": ("Myanmar", "Burma"),
}


@cache
def country_names() -> dict[str, tuple[str, ...]]:
    """Each country's names, the one a briefing uses first, by CLDR code."""
    names: dict[str, tuple[str, ...]] = {}
    for code, name in Locale("en").territories.items():
        if len(code) != 2 or not code.isalpha() or code in _NOT_COUNTRIES:
            continue
        # "Myanmar (Burma)", "Congo - Kinshasa", "Hong Kong SAR China"
        forms = [part.strip() for part in re.split(r"\s+-\s+|\s*[()]\s*", name) if part.strip()]
        names[code] = _NEWS_NAMES.get(code, (forms[0],))
    return names


# What may come right before a clause's subject: the start of a sentence or a line, an opening
# quote or bracket, a comma, or a conjunction ("... because Thailand continues", "that the US
# remains"); "the" may follow it. Not a preposition ("a tribunal in Cambodia has warned").
_CLAUSE_START = re.compile(
    r"(?:^|[.!?;:“\"(\n]\s*|,\s*|\b(?:and|but|that|when|while|because|as|if|since|after|"
    r"before|whether|although|though|so|until|unless|where|or)\s+)(?:the\s+)?$",
    re.IGNORECASE,
)
_AUXILIARY = (
    r"has|have|had|is|was|were|are|will|would|should|could|can|cannot|can['’]t|must|may|might|"
    r"did|does|do|won['’]t|wouldn['’]t|isn['’]t|hasn['’]t|doesn['’]t|didn['’]t|wasn['’]t"
)
# Plural nouns a country name modifies ("US troops", "China officials"): not verbs in -s.
_PLURAL_NOUNS = (
    "officials|troops|forces|citizens|companies|firms|businesses|lawmakers|leaders|diplomats|"
    "authorities|soldiers|workers|nationals|exports|imports|investors|banks|students|residents|"
    "farmers|voters|markets|sanctions|tariffs|interests|relations|ties|talks|negotiators|allies|"
    "officers|prosecutors|courts|states|people|dollars|bonds|shares|stocks|goods|products|"
    "embassies|consulates|ministers|envoys|delegates|delegations|agencies|services|networks|"
    "refugees|migrants|fans|teams|players|women|men|children|families|groups|parties|elections|"
    "news|media|politics|economics|affairs|operations|efforts|plans|policies|laws|rules|years"
)
# After the name: maybe an aside (", on the other hand,") or a time ("on Tuesday", "earlier
# this year") and an adverb, then a finite verb: an auxiliary, a past tense or a verb in -s.
_ACTS = re.compile(
    r"(?:\s*,[^,.;:\n]{1,40},)?"
    r"(?:\s+(?:on|in|at|during|by|earlier|later|last|this|next)(?:\s+[\w-]+){1,3}?)?"
    r"(?:\s+(?:also|already|still|now|then|recently|again|finally|previously|once|reportedly|"
    r"repeatedly|immediately|all|both|never|not|itself|alone))*"
    rf"\s+(?:(?:{_AUXILIARY})\b|[a-z]+ed\b|(?!(?:{_PLURAL_NOUNS})\b)[a-z]{{2,}}[^s\W']s\b)"
)


@cache
def _mentions() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every country name (longest first: "South Korea" before "Korea"), and
    the code of each name."""
    code_of = {form: code for code, forms in country_names().items() for form in forms}
    alternatives = "|".join(re.escape(f) for f in sorted(code_of, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’.-])(?:{alternatives})(?![\w'’-]|\.\w)"), code_of


def _acts(article: str, match: re.Match[str]) -> bool:
    """Whether the name ``match`` found is the subject of a verb."""
    before = article[max(0, match.start() - 40) : match.start()]
    if not _CLAUSE_START.search(before):
        return False  # after a preposition, a number or a first name: "in Cambodia"
    if re.match(r"\s+[A-Z]", article[match.end() :]):
        return False  # the start of a longer name: "China Daily", "US Army"
    return _ACTS.match(article, match.end()) is not None


def acting_countries(article: str, known: Iterable[Actor] = ()) -> list[Actor]:
    """The countries ``article`` makes the subject of a verb, in the order of their first
    mention, except those a ``known`` actor already stands for or is named like."""
    keys = set().union(*(name_keys(a.name, a.aliases, person=a.kind == "person") for a in known))
    pattern, code_of = _mentions()
    seen: dict[str, list[str]] = {}  # code -> the names the article uses, in order
    acting: set[str] = set()
    for match in pattern.finditer(article):
        code = code_of[match.group()]
        forms = seen.setdefault(code, [])
        if match.group() not in forms:
            forms.append(match.group())
        if code not in acting and _acts(article, match):
            acting.add(code)
    found = []
    for code, present in seen.items():  # dicts keep the order of first mention
        name = country_names()[code][0]
        if code not in acting or any(name_keys(f, person=False) & keys for f in (name, *present)):
            continue
        found.append(Actor(name=name, kind="country", aliases=[f for f in present if f != name]))
    return found


def add_acting_countries(briefing: Briefing, article: str) -> Briefing:
    """The countries that act in the story and that the briefing leaves out, added as actors.
    Not a country that one of its actors already stands for (by name or alias), nor one
    named like a person in the briefing ("Jordan", "Chad")."""
    added = acting_countries(article, briefing.actors)
    if not added:
        return briefing
    return briefing.model_copy(update={"actors": [*briefing.actors, *added]})
