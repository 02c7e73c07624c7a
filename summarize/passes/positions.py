"""Positions pass, one call per actor: its candidate sentences in, stances citing them out.

Attribution (``summarize.attribution``, no model) finds the sentences that carry each actor's
views. The model sees them numbered and writes 1-3 stances, each citing the numbers of the
sentences that show it; the schema makes a citation an enum of those numbers. The model writes
only the stance: the evidence is the article's own sentence, with its offsets, and belongs to
its holder by construction. Citing by number also keeps quotation marks out of the schema,
which some llama.cpp servers cannot turn into a grammar.

A small model that finds no view in the sentences copies the prompt's example stance ("Wants
the bridge paid for by a fuel levy…"), which ``finish`` drops: when every stance of an answer
does so, the model is asked once more, told so. A role the actors pass copied from its example
is not shown.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pydantic import Field

from summarize.attribution import Sentence
from summarize.finish import echoes_prompt
from summarize.passes.base import Caller, PartContext
from summarize.retry import parse_json_object
from summarize.schema import (
    MAX_EVIDENCE,
    MAX_STANCES,
    Actor,
    Position,
    Quote,
    Strict,
    strict_json_schema,
)

__all__ = ["MAX_CANDIDATES", "TEMPLATE", "Stance", "StanceList", "candidates", "run"]

TEMPLATE = "positions_task.j2"
# Sentences shown for one actor: enough for its views, short enough for a small model.
MAX_CANDIDATES = 12
_MAX_TOKENS = 500


class Stance(Strict):
    evidence: list[int] = Field(
        max_length=MAX_EVIDENCE,
        json_schema_extra={"minItems": 1},
        description="Numbers of the sentences that show this stance.",
    )
    stance: str = Field(description="What the actor wants or holds, in one specific sentence.")


class StanceList(Strict):
    positions: list[Stance] = Field(max_length=MAX_STANCES, json_schema_extra={"minItems": 1})


def schema(count: int) -> dict[str, Any]:
    """The answer's schema, with citations limited to the numbers 1..count."""
    out = copy.deepcopy(strict_json_schema(StanceList))
    evidence = out["properties"]["positions"]["items"]["properties"]["evidence"]
    evidence["items"] = {"type": "integer", "enum": list(range(1, count + 1))}
    return out


def candidates(context: PartContext, actor: Actor) -> list[Sentence]:
    """The sentences of this part that attribution gives to ``actor``."""
    found = context.analysis.evidence_for(actor.name, actor.aliases, person=actor.kind == "person")
    return [s for s in found if context.contains(s)][:MAX_CANDIDATES]


def parse(text: str, count: int) -> StanceList:
    answer = StanceList.model_validate(parse_json_object(text))
    wrong = sorted({n for p in answer.positions for n in p.evidence if not 1 <= n <= count})
    if wrong:
        raise ValueError(f"evidence cites {wrong}, but the sentences are numbered 1 to {count}")
    return answer


def run_parse(count: int, actor: str, article: str) -> Callable[[str], StanceList]:
    """The parser of one positions call: it asks again once when every stance is a copy of
    the prompt's example."""
    attempts: list[int] = []

    def parse_one(text: str) -> StanceList:
        answer = parse(text, count)
        attempts.append(1)
        copied = all(echoes_prompt(p.stance, article) for p in answer.positions)
        if copied and len(attempts) == 1:
            raise ValueError(
                "every stance repeats the example of the instructions, which is about another "
                f"story; write what {actor} wants, holds or opposes according to the numbered "
                "sentences of this article"
            )
        return answer

    return parse_one


def to_positions(
    answer: StanceList, actor: Actor, sentences: list[Sentence], chunk: int | None
) -> list[Position]:
    positions = []
    for item in answer.positions:
        cited = [sentences[n - 1] for n in dict.fromkeys(item.evidence) if 1 <= n <= len(sentences)]
        if not cited or not item.stance.strip():
            continue  # a stance with no valid citation is no position
        evidence = [Quote(text=s.text, start=s.start, end=s.end, verified=True) for s in cited]
        positions.append(
            Position(actor=actor.name, stance=item.stance.strip(), evidence=evidence, chunk=chunk)
        )
    return positions


async def run(caller: Caller, context: PartContext, actor: Actor) -> list[Position]:
    sentences = candidates(context, actor)
    if not sentences:
        return []
    article = context.plan.article
    request = caller.request(
        context,
        TEMPLATE,
        schema(len(sentences)),
        name="positions",
        max_tokens=_MAX_TOKENS,
        actor=actor.name,
        role="" if echoes_prompt(actor.role, article) else actor.role,
        sentences=[s.text for s in sentences],
    )
    answer = await caller.ask(request, run_parse(len(sentences), actor.name, article))
    chunk = context.chunk.index if context.parts > 1 else None
    return to_positions(answer, actor, sentences, chunk)
