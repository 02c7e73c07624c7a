"""Combining the briefings of the parts of a long article into one, without a model.

Also tidies a single part's briefing: actors named twice become one, every position's actor is
an actor of the list, duplicate positions and questions collapse. Works on the briefing's own
types (``Actor``, ``Position``, ``OpenQuestion``), whose lists have no bounds, so a merge of many
parts never fails validation, and every position keeps its part and its quotes' offsets.
Everything here is pure and deterministic.
"""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from summarize.chunking import split_sentences
from summarize.names import name_key, name_keys
from summarize.schema import (
    MAX_ALIASES,
    Actor,
    Briefing,
    DraftBriefing,
    OpenQuestion,
    Position,
    Quote,
)

__all__ = [
    "actor_keys",
    "canonical_actor",
    "draft_to_briefing",
    "merge_actors",
    "merge_briefings",
    "merge_drafts",
    "same_question",
    "tidy_draft",
]

# token_set_ratio at or above which two stances / questions say the same thing.
_SAME_STANCE = 88.0
_SAME_QUESTION = 85.0
_SUMMARY_SENTENCES = 6


def actor_keys(actor: Actor) -> set[str]:
    """The keys of an actor's name and aliases (a person's surname among them)."""
    return name_keys(actor.name, actor.aliases, person=actor.kind == "person")


def _name_keys(actor: Actor) -> set[str]:
    return name_keys(actor.name, person=actor.kind == "person")


# A one-word name this long, one edit from a person's surname, is that surname misspelt.
_MIN_TYPO_LENGTH = 6


def _owner(word: str, people: list[tuple[Actor, list[str]]]) -> Actor | None:
    """The one person a one-word name stands for: their first word ("Tedros" for Tedros
    Adhanom Ghebreyesus, "Wen" for Wen Bo: names that begin with the family name) or their
    surname misspelt ("Sindomwo" for Gaston Sindimwo, as a story may spell it once)."""
    owners = [
        person
        for person, words in people
        if word == words[0]
        or (
            len(word) >= _MIN_TYPO_LENGTH
            and word != words[-1]
            and Levenshtein.distance(word, words[-1]) <= 1
        )
    ]
    return owners[0] if len(owners) == 1 else None


def _unnamed(name: str) -> bool:
    """Whether ``name`` is a description, not a name: "senior researcher", "Senior diplomat"."""
    words = name.split()
    return (
        bool(words)
        and not any(w[:1].isupper() for w in words[1:])
        and (len(words) > 1 or words[0].islower())
    )


def _described(description: str, people: list[tuple[Actor, list[str]]]) -> Actor | None:
    """The one person whose role begins with ``description`` ("senior researcher" for Lao
    Monghay, "senior researcher for the Asian Human Rights Commission"): small models list the
    person a story first describes and later names twice."""
    wanted = name_key(description)
    owners = [person for person, _ in people if name_key(person.role).startswith(wanted + " ")]
    return owners[0] if len(owners) == 1 else None


def _to_people(actors: list[Actor]) -> list[Actor]:
    """Actors that stand for exactly one person of the list, renamed to that person (their own
    name kept as an alias), so that the merge below makes them one: a one-word name
    (``_owner``) or a person's description (``_described``)."""
    people = [
        (a, words)
        for a in actors
        if a.kind == "person"
        and not _unnamed(a.name)
        and len(words := name_key(a.name).split()) > 1
    ]
    out = []
    for actor in actors:
        words = name_key(actor.name).split()
        owner = _owner(words[0], people) if len(words) == 1 else None
        if owner is None and actor.kind in ("person", "other") and _unnamed(actor.name):
            owner = _described(actor.name, people)
        if owner is None or owner is actor:
            out.append(actor)
            continue
        aliases = [actor.name, *actor.aliases]
        out.append(
            actor.model_copy(update={"name": owner.name, "aliases": aliases, "kind": "person"})
        )
    return out


def merge_actors(actors: list[Actor]) -> list[Actor]:
    """Actors merged into one when one's name (or a person's surname) is the other's name or
    alias, or when a one-word name or a description stands for exactly one person of the list
    (``_to_people``). An alias two actors share does not make them one: small models give the
    same title ("French government spokesman") to several people, and merging through it would
    give one person's words to another."""
    merged: list[Actor] = []
    keys: list[set[str]] = []
    named: list[set[str]] = []  # each merged actor's name keys (its names, not aliases)
    for actor in _to_people(actors):
        if not actor.name.strip():
            continue
        these, own = actor_keys(actor), _name_keys(actor)
        for i, existing in enumerate(merged):
            if own & keys[i] or these & named[i]:
                # Keep the fullest name; everything else becomes an alias.
                names = [existing.name, actor.name]
                name = max(names, key=lambda n: (len(name_key(n).split()), len(n)))
                aliases = [
                    a
                    for a in dict.fromkeys([*existing.aliases, *actor.aliases, *names])
                    if a != name and a.strip()
                ][:MAX_ALIASES]
                merged[i] = Actor(
                    name=name,
                    aliases=aliases,
                    kind=existing.kind if existing.kind != "other" else actor.kind,
                    role=existing.role or actor.role,
                )
                keys[i] |= these
                named[i] |= own | name_keys(name, person=actor.kind == "person")
                break
        else:
            merged.append(
                actor.model_copy(update={"aliases": [a for a in actor.aliases if a.strip()]})
            )
            keys.append(these)
            named.append(own)
    return merged


def canonical_actor(name: str, actors: list[Actor]) -> Actor | None:
    """The actor of ``actors`` that ``name`` refers to, if any."""
    wanted = name_keys(name)
    exact = name_key(name)
    for actor in actors:
        if exact in actor_keys(actor):
            return actor
    for actor in actors:
        if wanted & actor_keys(actor):
            return actor
    return None


def _quote_key(quote: Quote) -> object:
    return (quote.start, quote.end) if quote.verified else quote.text.strip()


def _merge_evidence(*lists: list[Quote]) -> list[Quote]:
    seen: dict[object, Quote] = {}
    for quote in (q for quotes in lists for q in quotes):
        seen.setdefault(_quote_key(quote), quote)
    return list(seen.values())


def _merge_positions(positions: list[Position], actors: list[Actor]) -> list[Position]:
    merged: list[Position] = []
    for position in positions:
        if not position.stance.strip() and not position.evidence:
            continue
        actor = canonical_actor(position.actor, actors)
        name = actor.name if actor is not None else position.actor.strip()
        if actor is None and name:
            actors.append(Actor(name=name, kind="other"))
        for i, existing in enumerate(merged):
            if existing.actor == name and (
                fuzz.token_set_ratio(existing.stance, position.stance) >= _SAME_STANCE
            ):
                evidence = _merge_evidence(existing.evidence, position.evidence)
                merged[i] = existing.model_copy(update={"evidence": evidence})
                break
        else:
            merged.append(
                position.model_copy(
                    update={"actor": name, "evidence": _merge_evidence(position.evidence)}
                )
            )
    return merged


def same_question(a: str, b: str) -> bool:
    """Whether two questions ask the same thing (in words: "Will the CNL demand a recount?",
    "Will the CNL party demand that the vote be recounted?")."""
    return fuzz.token_set_ratio(a, b) >= _SAME_QUESTION


def _merge_questions(questions: list[OpenQuestion]) -> list[OpenQuestion]:
    merged: list[OpenQuestion] = []
    for question in questions:
        if not question.question.strip():
            continue
        if any(same_question(q.question, question.question) for q in merged):
            continue
        merged.append(question)
    return merged


def _merge_summaries(summaries: list[str]) -> str:
    """The first part's summary, then the lead sentence of each later part, capped."""
    sentences: list[str] = []
    for i, summary in enumerate(s.strip() for s in summaries):
        if not summary:
            continue
        spans = split_sentences(summary)
        parts = [summary[a:b].strip() for a, b in spans] or [summary]
        sentences.extend(parts if i == 0 else parts[:1])
    return " ".join(sentences[:_SUMMARY_SENTENCES])


def merge_briefings(parts: list[Briefing]) -> Briefing:
    """The briefings of consecutive parts of an article, merged into one (a single part is
    tidied). Usage is left to the caller, which knows every call made."""
    actors = merge_actors([a for p in parts for a in p.actors])
    positions = _merge_positions([x for p in parts for x in p.positions], actors)
    return Briefing(
        title=next((p.title for p in parts if p.title), None),
        summary=parts[0].summary.strip()
        if len(parts) == 1
        else _merge_summaries([p.summary for p in parts]),
        actors=actors,
        positions=positions,
        open_questions=_merge_questions([q for p in parts for q in p.open_questions]),
    )


def draft_to_briefing(draft: DraftBriefing, chunk: int | None = None) -> Briefing:
    """A model's draft as a briefing whose quotes are not yet checked (``finish`` does it)."""
    return Briefing(
        summary=draft.summary.strip(),
        actors=[Actor(**a.model_dump()) for a in draft.actors],
        positions=[
            Position(
                actor=p.actor,
                stance=p.stance.strip(),
                evidence=[Quote(text=e) for e in p.evidence],
                chunk=chunk,
            )
            for p in draft.positions
        ],
        open_questions=[
            OpenQuestion(question=q.question.strip(), why_open=q.why_open.strip() or None)
            for q in draft.open_questions
        ],
    )


def merge_drafts(drafts: list[DraftBriefing]) -> Briefing:
    """Drafts of consecutive parts, merged into one briefing (quotes not yet checked)."""
    return merge_briefings(
        [draft_to_briefing(d, i if len(drafts) > 1 else None) for i, d in enumerate(drafts)]
    )


def tidy_draft(draft: DraftBriefing) -> Briefing:
    """One draft, with duplicate actors, positions and questions collapsed."""
    return merge_drafts([draft])
