"""Actors pass: the names checklist and the holders of quoted views, cleaned into actors.

The model gets the article (the shared prefix), the holders that attribution found and the
other multi-word names in the part, and returns the actors: full name, kind, role, aliases.
Places, buildings, events and outlets that only report are left out by the model, and
duplicates ("Macron", "Emmanuel Macron") are merged here by name.
"""

from __future__ import annotations

import re

from pydantic import Field

from summarize.merge import actor_keys, merge_actors
from summarize.names import name_keys
from summarize.passes.base import Caller, PartContext, coerce_actor
from summarize.retry import parse_json_object
from summarize.schema import MAX_ACTORS, MAX_ALIASES, Actor, DraftActor, Strict, strict_json_schema

__all__ = ["TEMPLATE", "ActorList", "run"]

TEMPLATE = "actors_task.j2"
_MAX_TOKENS = 900
# People with views whom the model did not list are added, up to this many past its limit.
_EXTRA_PEOPLE = 4


class ActorList(Strict):
    actors: list[DraftActor] = Field(max_length=MAX_ACTORS, json_schema_extra={"minItems": 1})


def parse(text: str) -> list[Actor]:
    data = parse_json_object(text)
    if isinstance(data.get("actors"), list):
        data["actors"] = [coerce_actor(a, MAX_ALIASES) for a in data["actors"][:MAX_ACTORS]]
    answer = ActorList.model_validate(data)
    actors = [Actor(**a.model_dump()) for a in answer.actors if a.name.strip()]
    return merge_actors([a.model_copy(update={"aliases": _aliases(a)}) for a in actors])


def _aliases(actor: Actor) -> list[str]:
    """The aliases worth keeping: not the name itself, and not a person's first name alone
    (small models list "Emmanuel" for Emmanuel Macron; news never calls him that)."""
    words = actor.name.split()
    first = words[0].casefold() if actor.kind == "person" and len(words) > 1 else None
    kept = []
    for alias in actor.aliases:
        folded = alias.strip().casefold()
        if folded and folded != actor.name.casefold() and folded != first:
            kept.append(alias.strip())
    return list(dict.fromkeys(kept))


_KIND_ORDER = {"person": 0, "organization": 1, "group": 2}


def checklist(context: PartContext) -> tuple[list[str], list[str]]:
    """The holders of views in this part, named people first (the model lists at most
    ``MAX_ACTORS`` and keeps the order it is given), and the other names of its checklist."""
    kinds = {a.name: a.kind for a in context.analysis.actors}
    holders = sorted(
        dict.fromkeys(
            a.holder for a in context.analysis.attributions if context.contains(a.sentence)
        ),
        key=lambda h: _KIND_ORDER.get(kinds.get(h, ""), 3),
    )
    held = set().union(*(name_keys(h) for h in holders)) if holders else set()
    others = [n for n in context.names if not (name_keys(n) & held)]
    return holders, others


def missing_people(context: PartContext, actors: list[Actor]) -> list[Actor]:
    """People whose views attribution found, with full names, whom the model left out (small
    models stop listing before the people who appear late in an article)."""
    known = set().union(*(actor_keys(a) for a in actors)) if actors else set()
    missing = []
    for holder in context.analysis.actors:
        if holder.kind != "person" or len(holder.name.split()) < 2:
            continue
        if name_keys(holder.name, holder.aliases) & known:
            continue
        if any(context.contains(s) for s in context.analysis.evidence_for(holder.name)):
            missing.append(Actor(name=holder.name, aliases=list(holder.aliases), kind="person"))
    return missing[: max(0, MAX_ACTORS + _EXTRA_PEOPLE - len(actors))]


async def run(caller: Caller, context: PartContext) -> list[Actor]:
    holders, names = checklist(context)
    request = caller.request(
        context,
        TEMPLATE,
        strict_json_schema(ActorList),
        name="actors",
        max_tokens=_MAX_TOKENS,
        holders=holders,
        names=names,
    )
    found = drop_other_people(context, await caller.ask(request, parse))
    found = stated_aliases(context.analysis.article, found)
    return found + missing_people(context, found)


_CAPS = r"[A-Z][\w'’&.-]*(?:\s+[A-Z][\w'’&.-]*)*"
# ", known as AmCham China", " (AmCham China)": the article's own word for another name.
_KNOWN_AS = (
    rf"(?:\s+(?:in|of|for)\s+(?:the\s+)?{_CAPS})?"  # "... of Commerce in China, known as"
    rf"(?:,?\s+(?:also\s+|better\s+|commonly\s+)?(?:known|referred\s+to)\s+as\s+"
    rf"(?:the\s+)?({_CAPS})|\s+\((?:the\s+)?({_CAPS})\))"
)


def stated_aliases(article: str, actors: list[Actor]) -> list[Actor]:
    """Names the article itself gives an actor ("The American Chamber of Commerce in China,
    known as AmCham China", "the National Election Committee (NEC)") become the aliases of an
    organisation, group or country, and actors listed under each name are merged into one.
    Not of a person: what follows a person's name in brackets is a party, a place or an age."""
    out = []
    for actor in actors:
        found: list[str] = []
        if actor.kind == "person":  # "Mitch McConnell (R-Ky.)", "Keir Starmer (UK)": no alias
            out.append(actor)
            continue
        for name in (actor.name, *actor.aliases):
            if len(name) < 3:
                continue
            for match in re.finditer(re.escape(name) + _KNOWN_AS, article):
                alias = (match.group(1) or match.group(2)).strip()
                if len(alias) > 1 and alias not in (actor.name, *actor.aliases, *found):
                    found.append(alias)
        aliases = [*actor.aliases, *found][:MAX_ALIASES]
        out.append(actor.model_copy(update={"aliases": aliases}) if found else actor)
    return merge_actors(out)


def drop_other_people(context: PartContext, actors: list[Actor]) -> list[Actor]:
    """Aliases that name another person with views (full name or surname) are dropped: small
    models list "Sophie Primas" among the aliases of "European official", or "Chen" among
    Judge Marsh's, which would give one person's words to another. The person left out is
    then added as herself (``missing_people``)."""
    people: set[str] = set().union(
        *(
            name_keys(h.name, h.aliases)
            for h in context.analysis.actors
            if h.kind == "person" and len(h.name.split()) > 1
        )
    )

    def foreign(alias: str, own: set[str]) -> bool:
        keys = name_keys(alias, person=False)
        return bool(keys & people) and not keys & own

    out = []
    for actor in actors:
        own = name_keys(actor.name, person=actor.kind == "person")
        kept = [alias for alias in actor.aliases if not foreign(alias, own)]
        out.append(actor if kept == actor.aliases else actor.model_copy(update={"aliases": kept}))
    return out
