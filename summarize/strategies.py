"""Strategies: which passes run, in what order, over which parts of an article.

* ``passes`` (the default): per part, the actors pass, then one positions call per actor that
  attribution found sentences for, with the open-questions and summary passes beside them; the
  parts' briefings merged. A positions or questions call that keeps failing validation costs
  that actor or those questions, not the briefing.
* ``single``: per part, one call for the whole briefing; the parts merged by rule, or by one
  more call (``merge = "model"``).

Calls run concurrently (``asyncio.TaskGroup``), bounded by ``settings.concurrency``; the embedded
model serves them one at a time. If a call fails for good (the endpoint is down, the key is
rejected), the task group cancels its siblings and the error reaches the caller.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Protocol

import tiktoken

from summarize.chunking import count_message_tokens
from summarize.config import Settings
from summarize.errors import ConfigError, InvalidOutputError
from summarize.merge import draft_to_briefing, merge_briefings
from summarize.passes import actors, positions, questions, single, summary
from summarize.passes.base import Caller, PartContext
from summarize.prompts import Prompts
from summarize.schema import Actor, Briefing, OpenQuestion, Position

__all__ = ["Budget", "PassesStrategy", "SingleStrategy", "Strategy", "get_strategy"]

log = logging.getLogger(__name__)

# Tokens kept for a pass's task message (the positions task repeats up to 12 sentences).
_TASK_RESERVE = 1200
# Tokens kept for a pass's answer (the largest: the actors list).
_PASS_OUTPUT_RESERVE = 900
_NAMES_PLACEHOLDER = ["Firstname Middlename Lastname-Lastname"] * 30


class Strategy(Protocol):
    @property
    def name(self) -> str: ...

    def overhead(self, prompts: Prompts, context: Budget) -> int:
        """Tokens of a call that are not the article's: prompt around it and output reserve."""
        ...

    async def brief(self, caller: Caller, parts: list[PartContext]) -> Briefing:
        """The briefing of the article, its quotes not yet checked."""
        ...


@dataclass(frozen=True)
class Budget:
    """What the size of a call depends on, besides the article."""

    title: str | None
    schema_in_prompt: bool
    max_output_tokens: int
    encoding: tiktoken.Encoding

    def tokens(self, messages: list[dict[str, str]]) -> int:
        return count_message_tokens(messages, self.encoding)


@dataclass(frozen=True)
class PassesStrategy:
    name: str = "passes"

    def overhead(self, prompts: Prompts, context: Budget) -> int:
        prefix = prompts.prefix_messages("", title=context.title, part=9, parts=9)
        output = min(_PASS_OUTPUT_RESERVE, context.max_output_tokens)
        return context.tokens(prefix) + _TASK_RESERVE + output

    async def brief(self, caller: Caller, parts: list[PartContext]) -> Briefing:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self.brief_part(caller, part)) for part in parts]
        return merge_briefings([t.result() for t in tasks])

    async def brief_part(self, caller: Caller, context: PartContext) -> Briefing:
        caller.plan(3)
        async with asyncio.TaskGroup() as group:
            summarised = group.create_task(summary.run(caller, context))
            found = group.create_task(self._views(caller, context))
        part_actors, part_positions, asked = found.result()
        return Briefing(
            title=context.title,
            summary=summarised.result(),
            actors=part_actors,
            positions=part_positions,
            open_questions=asked,
        )

    async def _views(
        self, caller: Caller, context: PartContext
    ) -> tuple[list[Actor], list[Position], list[OpenQuestion]]:
        """Actors, then their positions, then the questions those positions leave open."""
        found, held = await self._actors_and_positions(caller, context)
        found, held = drop_outlets(found, held)
        asked = await self._questions(caller, context, held)
        return found, held, asked

    async def _actors_and_positions(
        self, caller: Caller, context: PartContext
    ) -> tuple[list[Actor], list[Position]]:
        found = await actors.run(caller, context)
        holders = [a for a in found if positions.candidates(context, a) and not is_outlet(a)]
        caller.plan(len(holders))

        async def one(actor: Actor) -> list[Position]:
            try:
                return await positions.run(caller, context, actor)
            except InvalidOutputError as exc:
                log.warning("no positions for %s: %s", actor.name, exc)
                return []

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(a)) for a in holders]
        return found, [p for t in tasks for p in t.result()]

    async def _questions(
        self, caller: Caller, context: PartContext, held: list[Position]
    ) -> list[OpenQuestion]:
        try:
            return await questions.run(caller, context, held)
        except InvalidOutputError as exc:
            log.warning("no open questions: %s", exc)
            return []


@dataclass(frozen=True)
class SingleStrategy:
    settings: Settings
    name: str = "single"

    def overhead(self, prompts: Prompts, context: Budget) -> int:
        empty = prompts.brief_messages(
            "",
            title=context.title,
            part=9,
            parts=9,
            schema=single.DRAFT_SCHEMA,
            schema_in_prompt=context.schema_in_prompt,
            names=_NAMES_PLACEHOLDER,
        )
        return context.tokens(empty) + context.max_output_tokens

    async def brief(self, caller: Caller, parts: list[PartContext]) -> Briefing:
        model_merges = len(parts) > 1 and self.settings.merge == "model"
        caller.plan(len(parts) + model_merges)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(single.run(caller, p, self.settings)) for p in parts]
        drafts = [t.result() for t in tasks]
        if model_merges:
            return await single.merge(caller, drafts, parts[0].title)
        chunked = len(parts) > 1
        return merge_briefings(
            [
                draft_to_briefing(draft, part.chunk.index if chunked else None)
                for draft, part in zip(drafts, parts, strict=True)
            ]
        )


_OUTLET = re.compile(
    r"\bnews\b|\bmedia\b|newspaper|broadcaster|magazine|wire service|tabloid|\breports on\b",
    re.IGNORECASE,
)


def is_outlet(actor: Actor) -> bool:
    """Whether the model's own role or aliases for ``actor`` make it a news outlet."""
    return bool(_OUTLET.search(" ; ".join([actor.role, *actor.aliases])))


def drop_outlets(found: list[Actor], held: list[Position]) -> tuple[list[Actor], list[Position]]:
    """The actors and positions, less the outlets that report the story ("Bloomberg writes"
    carries the article's sources, not Bloomberg's view): the prompt asks the model to leave
    them out; small models don't."""
    outlets = {a.name for a in found if is_outlet(a)}
    return (
        [a for a in found if a.name not in outlets],
        [p for p in held if p.actor not in outlets],
    )


def get_strategy(name: str, settings: Settings) -> Strategy:
    if name == "passes":
        return PassesStrategy()
    if name == "single":
        return SingleStrategy(settings)
    raise ConfigError(f"unknown strategy {name!r}: use 'passes' or 'single'")
