"""Combining partial briefings (one per chunk of a long article) into one, without a model.

Also used on single-chunk briefings to tidy what a model returns: actors named twice become one,
every position's actor is an actor of the list, duplicate positions and questions collapse.
Everything here is pure and deterministic.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from summarize.names import name_key, name_keys
from summarize.schema import (
    MAX_ALIASES,
    DraftActor,
    DraftBriefing,
    DraftOpenQuestion,
    DraftPosition,
)

__all__ = ["canonical_actor", "merge_drafts", "tidy_draft"]

# token_set_ratio at or above which two stances / questions say the same thing.
_SAME_STANCE = 88.0
_SAME_QUESTION = 85.0
_SUMMARY_SENTENCES = 6


def _merge_actors(actors: list[DraftActor]) -> list[DraftActor]:
    merged: list[DraftActor] = []
    keys: list[set[str]] = []
    for actor in actors:
        if not actor.name.strip():
            continue
        these = name_keys(actor.name, actor.aliases, person=actor.kind == "person")
        for i, existing in enumerate(merged):
            if these & keys[i]:
                # Keep the fullest name; everything else becomes an alias.
                names = [existing.name, actor.name]
                name = max(names, key=lambda n: (len(name_key(n).split()), len(n)))
                aliases = [
                    a
                    for a in dict.fromkeys([*existing.aliases, *actor.aliases, *names])
                    if a != name and a.strip()
                ][:MAX_ALIASES]  # duplicates merged: keep within the schema's bound
                merged[i] = DraftActor(
                    name=name,
                    aliases=aliases,
                    kind=existing.kind if existing.kind != "other" else actor.kind,
                    role=existing.role or actor.role,
                )
                keys[i] |= these
                break
        else:
            merged.append(
                actor.model_copy(update={"aliases": [a for a in actor.aliases if a.strip()]})
            )
            keys.append(these)
    return merged


def canonical_actor(name: str, actors: list[DraftActor]) -> DraftActor | None:
    """The actor of ``actors`` that ``name`` refers to, if any."""
    wanted = name_keys(name)
    exact = name_key(name)
    for actor in actors:
        if exact in name_keys(actor.name, actor.aliases, person=actor.kind == "person"):
            return actor
    for actor in actors:
        if wanted & name_keys(actor.name, actor.aliases, person=actor.kind == "person"):
            return actor
    return None


def _merge_positions(
    positions: list[DraftPosition], actors: list[DraftActor]
) -> list[DraftPosition]:
    merged: list[DraftPosition] = []
    for position in positions:
        if not position.stance.strip() and not position.evidence:
            continue
        actor = canonical_actor(position.actor, actors)
        name = actor.name if actor is not None else position.actor.strip()
        if actor is None and name:
            actors.append(DraftActor(name=name, aliases=[], kind="other", role=""))
        for i, existing in enumerate(merged):
            if existing.actor == name and (
                fuzz.token_set_ratio(existing.stance, position.stance) >= _SAME_STANCE
            ):
                evidence = list(dict.fromkeys([*existing.evidence, *position.evidence]))
                merged[i] = existing.model_copy(update={"evidence": evidence})
                break
        else:
            merged.append(
                position.model_copy(
                    update={"actor": name, "evidence": list(dict.fromkeys(position.evidence))}
                )
            )
    return merged


def _merge_questions(questions: list[DraftOpenQuestion]) -> list[DraftOpenQuestion]:
    merged: list[DraftOpenQuestion] = []
    for question in questions:
        if not question.question.strip():
            continue
        if any(
            fuzz.token_set_ratio(q.question, question.question) >= _SAME_QUESTION for q in merged
        ):
            continue
        merged.append(question)
    return merged


def _merge_summaries(summaries: list[str]) -> str:
    """The first part's summary, then the lead sentence of each later part, capped."""
    from summarize.chunking import split_sentences

    sentences: list[str] = []
    for i, summary in enumerate(s.strip() for s in summaries):
        if not summary:
            continue
        spans = split_sentences(summary)
        parts = [summary[a:b].strip() for a, b in spans] or [summary]
        sentences.extend(parts if i == 0 else parts[:1])
    return " ".join(sentences[:_SUMMARY_SENTENCES])


def tidy_draft(draft: DraftBriefing) -> DraftBriefing:
    """One briefing, with duplicate actors, positions and questions collapsed."""
    return merge_drafts([draft])


def merge_drafts(drafts: list[DraftBriefing]) -> DraftBriefing:
    """Partial briefings of consecutive chunks, merged into one briefing of the whole article."""
    actors = _merge_actors([a for d in drafts for a in d.actors])
    positions = _merge_positions([p for d in drafts for p in d.positions], actors)
    return DraftBriefing(
        summary=drafts[0].summary.strip()
        if len(drafts) == 1
        else _merge_summaries([d.summary for d in drafts]),
        actors=actors,
        positions=positions,
        open_questions=_merge_questions([q for d in drafts for q in d.open_questions]),
    )
