"""What every pass shares: the context of one part of an article, and one structured call.

Every pass's messages begin with the same system text and the same article block
(``PartContext.prefix``); only the task message after them differs. The embedded model
evaluates that prefix once per part and restores it for each pass; hosted endpoints cache such
prefixes themselves (``Usage.cached_tokens`` says how much was reused).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from summarize.attribution import Analysis, Sentence, analyse
from summarize.chunking import Chunk
from summarize.models import ChatModel, CompletionRequest
from summarize.prompts import Prompts
from summarize.retry import Reasker, arun_reasker
from summarize.schema import Source, Usage

__all__ = ["Caller", "PartContext", "Plan", "coerce_actor"]

T = TypeVar("T")


@dataclass
class Plan:
    """An article ready for the model: cleaned, split into parts that fit one call."""

    article: str  # the cleaned article: every offset refers to it
    title: str | None
    chunks: list[Chunk]
    source: Source | None = None  # where it came from: URL, and what its page declares

    @cached_property
    def analysis(self) -> Analysis:
        """Sentences, names and who holds which view, for the whole article (pronouns resolve
        across parts); made on first use, since only the passes need it."""
        return analyse(self.article)


@dataclass
class PartContext:
    """One part of an article (the whole article when it fits one call)."""

    plan: Plan
    chunk: Chunk
    names: list[str]  # the names checklist of this part
    prompts: Prompts

    @cached_property
    def prefix(self) -> list[dict[str, str]]:
        """System text + article block, shared by every pass of this part (rendered on first
        use: the single strategy never needs it, and a huge article's parts stay unrendered)."""
        return self.prompts.prefix_messages(
            self.chunk.text, title=self.title, part=self.chunk.index + 1, parts=self.parts
        )

    @property
    def analysis(self) -> Analysis:
        return self.plan.analysis

    @property
    def parts(self) -> int:
        return len(self.plan.chunks)

    @property
    def title(self) -> str | None:
        return self.plan.title

    def contains(self, sentence: Sentence) -> bool:
        return self.chunk.start <= sentence.start and sentence.end <= self.chunk.end


@dataclass
class Caller:
    """Makes the calls of the passes: task message after the shared prefix, validated answer,
    re-asked when invalid; the usage of every call is kept, failed ones included."""

    model: ChatModel
    prompts: Prompts
    limit: asyncio.Semaphore  # calls in flight, across every pass and part of one briefing
    on_progress: Callable[[str, int, int], None] | None = None  # (stage, done, planned)
    usage: list[Usage] = field(default_factory=list)
    planned: int = 0
    done: int = 0

    def plan(self, calls: int) -> None:
        """Announce calls about to be made, for progress bars."""
        self.planned += calls

    @property
    def schema_in_prompt(self) -> bool:
        # Endpoints that cannot enforce a schema must read it.
        return self.model.profile.structured_output in ("json_object", "none")

    def request(
        self,
        context: PartContext,
        template: str,
        schema: dict[str, Any],
        *,
        name: str,
        max_tokens: int,
        **variables: Any,
    ) -> CompletionRequest:
        task = self.prompts.task_message(
            template, schema=schema, schema_in_prompt=self.schema_in_prompt, **variables
        )
        return CompletionRequest(
            messages=[*context.prefix, task],
            schema=schema,
            schema_name=name,
            max_tokens=min(max_tokens, self.model.profile.max_output_tokens),
            shared_prefix=len(context.prefix),
        )

    async def ask(self, request: CompletionRequest, parse: Callable[[str], T]) -> T:
        reasker = Reasker(self.model.profile, request, parse)
        try:
            async with self.limit:
                return await arun_reasker(self.model, reasker)
        finally:
            self.usage.append(reasker.usage)
            self.done += 1
            if self.on_progress is not None:
                self.on_progress(request.schema_name, self.done, max(self.planned, self.done))


_KINDS = {"person", "organization", "country", "group", "other"}
_KIND_ALIASES = {
    "organisation": "organization",
    "org": "organization",
    "nation": "country",
    "state": "country",
    "people": "group",
    "company": "organization",
    "government": "organization",
    "institution": "organization",
}


def coerce_actor(actor: Any, max_aliases: int) -> Any:
    """Repair the harmless slips small models make in an actor before strict validation."""
    if isinstance(actor, dict):
        kind = str(actor.get("kind", "other")).strip().lower()
        actor["kind"] = kind if kind in _KINDS else _KIND_ALIASES.get(kind, "other")
        actor.setdefault("aliases", [])
        actor.setdefault("role", "")
        if isinstance(actor["aliases"], str):
            actor["aliases"] = [actor["aliases"]] if actor["aliases"] else []
        if isinstance(actor["aliases"], list):
            actor["aliases"] = actor["aliases"][:max_aliases]
    return actor
