"""Countries and organisations that act in a story: silent actors attribution cannot find.

A country or a body often holds no quote and is still one of the story's actors: "The US on
Tuesday deported five men", "China earlier this year unveiled stimulus measures", "CNL
immediately cried foul", "The Public Utilities Commission will hold hearings". Small models
list the people who speak and leave these out. Such a name is an actor here when the article
makes it the subject of a verb at least once; a name only ever used as a place ("in
Cambodia"), a possessor ("Burundi's presidential election"), an object ("pressure on Russia")
or a modifier ("US troops") is not.

* Countries: CLDR's English names (``babel``: the names news writers use, "Russia",
  "Vietnam", "South Korea"), with the short forms news also uses ("US", "Britain").
* Organisations: a capitalised name of several words ending in an organisation's head word
  ("... Commission", "... Party"), or an acronym the article gives a body ("the opposition CNL
  party", "the election commission (CENI)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache

from babel import Locale

from summarize.merge import actor_keys
from summarize.names import CAPITALISED, ORG_HEADS, mentioned_names, name_keys
from summarize.schema import Actor, Briefing

__all__ = [
    "acting_countries",
    "acting_organisations",
    "acts",
    "add_acting_actors",
    "country_names",
]

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
# After the name: maybe another name in brackets ("the National Election Committee (NEC)"), an
# aside (", on the other hand,") or a time ("on Tuesday", "earlier this year") and an adverb,
# then a finite verb: an auxiliary, a past tense or a verb in -s.
_ACTS = re.compile(
    r"(?:\s*\([^()\n]{1,40}\))?"
    r"(?:\s*,[^,.;:\n]{1,40},)?"
    r"(?:\s+(?:on|in|at|during|by|earlier|later|last|this|next)(?:\s+[\w-]+){1,3}?)?"
    r"(?:\s+(?:also|already|still|now|then|recently|again|finally|previously|once|reportedly|"
    r"repeatedly|immediately|all|both|never|not|itself|alone))*"
    rf"\s+(?:(?:{_AUXILIARY})\b|[a-z]+ed\b|(?!(?:{_PLURAL_NOUNS})\b)[a-z]{{2,}}[^s\W']s\b)"
)


@cache
def _country_mentions() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every country name (longest first: "South Korea" before "Korea"), and
    the code of each name."""
    code_of = {form: code for code, forms in country_names().items() for form in forms}
    alternatives = "|".join(re.escape(f) for f in sorted(code_of, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’.-])(?:{alternatives})(?![\w'’-]|\.\w)"), code_of


# The last names of a list ending in "and"/"or" ("Italy, the United Kingdom, Latvia and"), and
# what comes before the list.
# Its names are split by commas only, so that a run of capitalised words is read one way (a
# list split at any space backtracks exponentially on a title-case line).
_LIST_BEFORE = re.compile(
    rf"(?:^|(\w+),?\s+)(?:(?:the\s+)?{CAPITALISED},\s+)*(?:the\s+)?{CAPITALISED},?\s+"
    r"(?:and|or)\s+(?:the\s+)?$"
)
_PREPOSITIONS = {
    "between", "with", "in", "on", "of", "to", "from", "against", "by", "for", "at", "into",
    "among", "about", "over", "toward", "towards", "including", "like", "than",
}  # fmt: skip


def _listed_before(article: str, match: re.Match[str]) -> re.Match[str] | None:
    """The list that the name ``match`` found ends, if any ("Italy, Latvia and" before it)."""
    return _LIST_BEFORE.search(article[max(0, match.start() - 120) : match.start()])


def _acts(article: str, match: re.Match[str]) -> bool:
    """Whether the name ``match`` found is the subject of a verb."""
    before = article[max(0, match.start() - 40) : match.start()]
    if not _CLAUSE_START.search(before):
        return False  # after a preposition, a number or a first name: "in Cambodia"
    listed = _listed_before(article, match)
    if listed and (listed.group(1) or "").casefold() in _PREPOSITIONS:
        return False  # the last of a list after a preposition: "the war between Russia and"
    if re.match(r"\s+[A-Z]", article[match.end() :]):
        return False  # the start of a longer name: "China Daily", "US Army"
    return _ACTS.match(article, match.end()) is not None


def _mentions_of(name: str, article: str) -> Iterator[re.Match[str]]:
    return re.finditer(rf"(?<![\w'’.-]){re.escape(name)}(?![\w'’-])", article)


def acts(actor: Actor, article: str) -> bool:
    """Whether ``article`` makes ``actor`` (by its name or an alias) the subject of a verb."""
    names = [n for n in (actor.name, *actor.aliases) if n.strip()]
    return any(_acts(article, m) for name in names for m in _mentions_of(name, article))


# A body of the government named after its country speaks for the country: "US State
# Department", "China's Foreign Ministry", "U.S. Embassy". Not an army or a parliament: "a map
# drawn up with the US Army in the 1960s" does not make the Army the country of the story.
_STATE_BODY = re.compile(
    r"\s+(?:[A-Z][\w'’.-]*\s+)*(?:Department|Ministry|Government|government|"
    r"Administration|Embassy|Cabinet|Foreign\s+Office)"
)


def _state_bodies(known: Iterable[Actor]) -> set[str]:
    """The countries (codes) that a ``known`` actor stands for as one of their state bodies, by
    its name (not an alias: small models give "Senior diplomat" the alias "US government")."""
    pattern, code_of = _country_mentions()
    codes = set()
    for actor in known:
        name = re.sub(r"['’]s\b", "", actor.name)  # "Cambodia's Foreign Ministry"
        match = pattern.match(name)
        if actor.kind != "person" and match and _STATE_BODY.fullmatch(name, match.end()):
            codes.add(code_of[match.group()])
    return codes


def acting_countries(article: str, known: Iterable[Actor] = ()) -> list[Actor]:
    """The countries ``article`` makes the subject of a verb, in the order of their first
    mention, except those a ``known`` actor already stands for (by a name, an alias or as a
    body of its state: "US State Department") or is named like."""
    known = list(known)
    keys = set().union(*map(actor_keys, known))
    represented = _state_bodies(known)
    pattern, code_of = _country_mentions()
    seen: dict[str, list[str]] = {}  # code -> the names the article uses, in order
    acting: set[str] = set()
    for match in pattern.finditer(article):
        code = code_of[match.group()]
        forms = seen.setdefault(code, [])
        if match.group() not in forms:
            forms.append(match.group())
        if code not in acting and _acts(article, match):
            acting.add(code)
            # The whole list acts: "Italy, the United Kingdom, Latvia and Australia have all
            # expressed their readiness".
            listed = _listed_before(article, match)
            if listed:
                start = match.start() - (len(listed.string) - listed.start(0))
                for other in pattern.finditer(article, start, match.start()):
                    acting.add(code_of[other.group()])
    found = []
    for code, present in seen.items():  # dicts keep the order of first mention
        name = country_names()[code][0]
        if code not in acting or code in represented:
            continue
        if any(name_keys(f, person=False) & keys for f in (name, *present)):
            continue
        found.append(Actor(name=name, kind="country", aliases=[f for f in present if f != name]))
    return found


# An acronym is a body's when the article says so: "the opposition CNL party", "the
# independent election commission (CENI)".
_BODY = (
    r"(?:party|committee|commission|council|union|movement|front|alliance|coalition|group|"
    r"agency|court|tribunal|organi[sz]ation|company|bank|ministry|militia|rebels)"
)
_ACRONYM = re.compile(r"(?<![\w'’.-])[A-Z]{2,6}(?![\w'’-])")
# Heads of names that are countries, handled above ("United Kingdom", "Republic of Congo").
_COUNTRY_HEADS = {"kingdom", "republic"}


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())


def acting_organisations(article: str, known: Iterable[Actor] = ()) -> list[Actor]:
    """The organisations ``article`` makes the subject of a verb, in the order of their first
    mention, except those a ``known`` actor already stands for (by a name, an alias or its
    initials: "NEC" of "National Election Committee")."""
    known = list(known)
    keys = set().union(*map(actor_keys, known))
    initials = {_initials(a.name) for a in known if len(a.name.split()) > 1}
    candidates = [
        name
        for name in mentioned_names(article, limit=10_000)
        if len(name.split()) > 1
        and name.split()[-1].casefold() in ORG_HEADS - _COUNTRY_HEADS
        and not _country_of(name)
    ]
    for acronym in dict.fromkeys(m.group() for m in _ACRONYM.finditer(article)):
        body = rf"\b{acronym}\s+{_BODY}\b|\b{_BODY}\s*\({acronym}\)"
        if acronym not in initials and re.search(body, article, re.IGNORECASE):
            candidates.append(acronym)
    found: list[tuple[int, Actor]] = []
    for name in candidates:
        if name_keys(name, person=False) & keys:
            continue
        mentions = list(_mentions_of(name, article))
        if not any(_acts(article, m) for m in mentions):
            continue
        # An acronym of a body found here is its alias: "NEC" of "National Election Committee".
        owner = next((a for _, a in found if _initials(a.name) == name), None)
        if owner is not None:
            owner.aliases.append(name)
        else:
            found.append((mentions[0].start(), Actor(name=name, kind="organization")))
        keys |= name_keys(name, person=False)
    return [actor for _, actor in sorted(found, key=lambda pair: pair[0])]


def _country_of(name: str) -> str | None:
    """The code of the country ``name`` is one of the names of, if any."""
    return _country_mentions()[1].get(name)


def add_acting_actors(briefing: Briefing, article: str) -> Briefing:
    """The countries, then the organisations, that act in the story and that the briefing
    leaves out, added as actors. Not one that an actor of the briefing already stands for (by
    name or alias), nor a country named like a person of the briefing ("Jordan", "Chad")."""
    added = acting_countries(article, briefing.actors)
    added += acting_organisations(article, [*briefing.actors, *added])
    if not added:
        return briefing
    return briefing.model_copy(update={"actors": [*briefing.actors, *added]})
