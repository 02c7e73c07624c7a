"""Article in, briefing out: clean -> chunk -> brief each chunk -> merge -> ground.

``Pipeline`` holds the pure steps; ``run`` and ``arun`` only differ in how model calls are made
(one after another, or concurrently up to ``settings.concurrency``). An article that fits the
profile's context window (minus the prompt and the output reserve) takes exactly one model call.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rapidfuzz import fuzz

from summarize.chunking import (
    Chunk,
    count_tokens,
    get_encoding,
    split_into_chunks,
    split_sentences,
)
from summarize.config import ModelProfile, Settings, load_settings
from summarize.errors import ConfigError
from summarize.grounding import ArticleIndex, ground_evidence
from summarize.merge import merge_drafts, tidy_draft
from summarize.models import (
    ChatModel,
    CompletionRequest,
    OpenAIChatModel,
    aclose_model,
    close_model,
)
from summarize.names import mentioned_names
from summarize.prompts import Prompts
from summarize.retry import Reasker, arun_reasker, parse_json_object, run_reasker
from summarize.schema import (
    MAX_ACTORS,
    MAX_ALIASES,
    MAX_EVIDENCE,
    MAX_POSITIONS,
    MAX_QUESTIONS,
    Actor,
    Briefing,
    DraftBriefing,
    OpenQuestion,
    Position,
    Usage,
    strict_json_schema,
)
from summarize.text import clean_article

__all__ = ["Pipeline", "Progress", "ProgressCallback", "parse_draft", "resolve_model"]

# Tokenizers differ between models (counts use cl100k); keep this share of the window spare.
_TOKEN_MARGIN = 0.10
_MIN_CHUNK_TOKENS = 256
# OpenAI's strict mode limits enums of more than 250 strings; past that, quotes are free text.
_MAX_SENTENCE_CHOICES = 250
_MIN_QUOTE_WORDS = 4
# Names listed beside each part as a checklist for the actors (small models skip people who
# appear late in an article).
_MAX_NAMES = 30
# A stance or role this close (rapidfuzz ratio) to an example of the prompt is an echo of it.
_ECHO_RATIO = 90
_MIN_ECHO_WORDS = 4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """A step of the work, for progress bars: ``done`` of ``total`` calls finished."""

    stage: str  # "brief" | "merge"
    done: int
    total: int


ProgressCallback = Callable[[Progress], None]

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


def _coerce(data: dict[str, Any]) -> dict[str, Any]:
    """Repair the harmless slips small models make before strict validation."""
    for key, limit in (
        ("actors", MAX_ACTORS),
        ("positions", MAX_POSITIONS),
        ("open_questions", MAX_QUESTIONS),
    ):
        if isinstance(data.get(key), list):
            data[key] = data[key][:limit]
    for actor in data.get("actors") or []:
        if isinstance(actor, dict):
            kind = str(actor.get("kind", "other")).strip().lower()
            actor["kind"] = kind if kind in _KINDS else _KIND_ALIASES.get(kind, "other")
            actor.setdefault("aliases", [])
            actor.setdefault("role", "")
            if isinstance(actor["aliases"], str):
                actor["aliases"] = [actor["aliases"]] if actor["aliases"] else []
            if isinstance(actor["aliases"], list):
                actor["aliases"] = actor["aliases"][:MAX_ALIASES]
    for position in data.get("positions") or []:
        if isinstance(position, dict):
            if isinstance(position.get("evidence"), str):
                position["evidence"] = [position["evidence"]]
            if isinstance(position.get("evidence"), list):
                position["evidence"] = position["evidence"][:MAX_EVIDENCE]
    for question in data.get("open_questions") or []:
        if isinstance(question, dict):
            question.setdefault("why_open", "")
    if isinstance(data.get("open_questions"), list):
        data["open_questions"] = [
            {"question": q, "why_open": ""} if isinstance(q, str) else q
            for q in data["open_questions"]
        ]
    return data


def parse_draft(text: str) -> DraftBriefing:
    """A model's reply as a ``DraftBriefing`` (raises ``ValueError``/``ValidationError``)."""
    return DraftBriefing.model_validate(_coerce(parse_json_object(text)))


def _one_view_per_quote(positions: list[Position]) -> list[Position]:
    """One position per actor and set of verified quotes.

    Small models repeat one sentence as the evidence of several stances of the same actor
    ("Wants X", "Wants Y", "Wants Z", all backed by one quote): the quote cannot show them all.
    Of such a group the stance closest in words to the quote is kept, in its place.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for i, position in enumerate(positions):
        quotes = tuple(sorted(q.text for q in position.evidence if q.verified))
        if quotes:
            groups.setdefault((position.actor, quotes), []).append(i)
    dropped: set[int] = set()
    for (actor, quotes), members in groups.items():
        if len(members) < 2:
            continue
        said = " ".join(quotes)
        best = max(members, key=lambda i: fuzz.token_set_ratio(positions[i].stance, said))
        dropped.update(i for i in members if i != best)
        log.info("kept 1 of %d positions of %s backed by the same quote", len(members), actor)
    return [p for i, p in enumerate(positions) if i not in dropped]


def resolve_model(model: str | ChatModel | None, settings: Settings) -> ChatModel:
    """A ``ChatModel`` from a profile name, a raw model id, an instance, or the default."""
    if model is None or isinstance(model, str):
        return OpenAIChatModel(settings.profile(model))
    if isinstance(model, ChatModel):
        return model
    raise ConfigError(
        f"model must be a profile name, a model id or a ChatModel, not {type(model).__name__}"
    )


@dataclass
class Plan:
    article: str
    title: str | None
    chunks: list[Chunk]


class Pipeline:
    """The steps of a briefing for one model and one configuration."""

    def __init__(
        self,
        model: str | ChatModel | None = None,
        *,
        settings: Settings | None = None,
        prompts: Prompts | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.model = resolve_model(model, self.settings)
        # A model the pipeline made itself is closed by it; a model passed in is the caller's.
        self.owns_model = self.model is not model
        self.profile: ModelProfile = self.model.profile
        self.prompts = prompts if prompts is not None else Prompts(self.settings.prompts_dir)
        self.schema = strict_json_schema(DraftBriefing)
        self.encoding = get_encoding(self.profile.model)

    def close(self) -> None:
        if self.owns_model:
            close_model(self.model)

    async def aclose(self) -> None:
        if self.owns_model:
            await aclose_model(self.model)

    @property
    def schema_in_prompt(self) -> bool:
        # Endpoints that cannot enforce a schema must read it.
        return self.profile.structured_output in ("json_object", "none")

    # --- planning ---------------------------------------------------------------------------

    def chunk_budget(self, title: str | None) -> int:
        """Tokens of article that fit one call beside the prompt and the output reserve."""
        empty = self.prompts.brief_messages(
            "",
            title=title,
            part=9,
            parts=9,
            schema=self.schema,
            schema_in_prompt=self.schema_in_prompt,
            names=["Firstname Middlename Lastname-Lastname"] * _MAX_NAMES,
        )
        overhead = sum(count_tokens(m["content"], self.encoding) + 8 for m in empty)
        window = self.profile.context_window
        budget = int(window * (1 - _TOKEN_MARGIN)) - overhead - self.profile.max_output_tokens
        if budget < _MIN_CHUNK_TOKENS:
            raise ConfigError(
                f"profile {self.profile.name!r}: a context window of {window} tokens leaves no "
                f"room for the article (prompt {overhead}, "
                f"output reserve {self.profile.max_output_tokens})"
            )
        return budget

    def plan(self, text: str | bytes, title: str | None = None) -> Plan:
        article = clean_article(text, max_chars=self.settings.max_article_chars)
        chunks = split_into_chunks(article, self.chunk_budget(title), encoding=self.encoding)
        return Plan(article=article, title=title, chunks=chunks)

    def chunk_schema(self, chunk: Chunk) -> dict[str, Any]:
        """The briefing schema for one chunk: evidence limited to its sentences when the
        endpoint enforces schemas (``settings.evidence == "sentences"``)."""
        if self.settings.evidence != "sentences" or self.profile.structured_output not in (
            "json_schema",
            "json_object_schema",
        ):
            return self.schema
        sentences = [chunk.text[a:b] for a, b in split_sentences(chunk.text)]
        choices = list(
            dict.fromkeys(
                s for s in sentences if len(s.split()) >= _MIN_QUOTE_WORDS and "\\" not in s
            )
        )
        if not choices or len(choices) > _MAX_SENTENCE_CHOICES:
            return self.schema
        schema = copy.deepcopy(self.schema)
        evidence = schema["properties"]["positions"]["items"]["properties"]["evidence"]
        evidence["items"] = {"type": "string", "enum": choices}
        return schema

    def chunk_reasker(self, plan: Plan, chunk: Chunk) -> Reasker[DraftBriefing]:
        messages = self.prompts.brief_messages(
            chunk.text,
            title=plan.title,
            part=chunk.index + 1,
            parts=len(plan.chunks),
            schema=self.schema,
            schema_in_prompt=self.schema_in_prompt,
            names=mentioned_names(chunk.text, limit=_MAX_NAMES),
        )
        request = CompletionRequest(
            messages=messages, schema=self.chunk_schema(chunk), schema_name="briefing"
        )
        return Reasker(self.profile, request, parse_draft)

    def merge_reasker(self, plan: Plan, drafts: list[DraftBriefing]) -> Reasker[DraftBriefing]:
        messages = self.prompts.merge_messages(
            [d.model_dump() for d in drafts],
            title=plan.title,
            schema=self.schema,
            schema_in_prompt=self.schema_in_prompt,
        )
        request = CompletionRequest(messages=messages, schema=self.schema, schema_name="briefing")
        return Reasker(self.profile, request, parse_draft)

    # --- finishing --------------------------------------------------------------------------

    @cached_property
    def prompt_examples(self) -> list[str]:
        """The quoted examples of the brief prompt ("for example ..."), to catch echoes."""
        system = self.prompts.brief_messages("", schema=self.schema)[0]["content"]
        quoted = re.findall(r"\"([^\"]+)\"", system)
        return [q for q in quoted if len(q.split()) >= _MIN_ECHO_WORDS]

    def echoes_prompt(self, text: str, article: str) -> bool:
        """Whether ``text`` repeats one of the prompt's examples rather than the article.

        Small models copy worked examples from their instructions into the answer: a stance
        such as "Wants the bridge paid for by a fuel levy" in a briefing about Ukraine.
        """
        folded = article.casefold()
        return any(
            fuzz.ratio(text.casefold(), example.casefold()) >= _ECHO_RATIO
            and example.casefold() not in folded
            for example in self.prompt_examples
        )

    def finish(self, plan: Plan, draft: DraftBriefing, usage: Usage, started: float) -> Briefing:
        """Check every evidence quote of the merged draft against the article, and drop what
        the model copied from the prompt's examples instead of the article."""
        index = ArticleIndex(plan.article)
        positions = []
        for p in draft.positions:
            if self.echoes_prompt(p.stance, plan.article):
                log.warning("dropped a position of %s that repeats the prompt's example", p.actor)
                continue
            evidence = ground_evidence(p.evidence, index)
            positions.append(Position(actor=p.actor, stance=p.stance.strip(), evidence=evidence))
        positions = _one_view_per_quote(positions)
        actors = [
            Actor(**a.model_dump())
            if not self.echoes_prompt(a.role, plan.article)
            else Actor(**a.model_dump(exclude={"role"}), role="")
            for a in draft.actors
        ]
        return Briefing(
            title=plan.title,
            summary=draft.summary.strip(),
            actors=actors,
            positions=positions,
            open_questions=[
                OpenQuestion(question=q.question.strip(), why_open=q.why_open.strip() or None)
                for q in draft.open_questions
            ],
            usage=usage.model_copy(update={"seconds": round(time.monotonic() - started, 3)}),
        )

    def _total_usage(self, reaskers: list[Reasker[DraftBriefing]]) -> Usage:
        usage = Usage(model=self.profile.model)
        for reasker in reaskers:
            usage = usage.add(reasker.usage)
        return usage

    # --- running ----------------------------------------------------------------------------

    def _model_merges(self, plan: Plan) -> bool:
        return len(plan.chunks) > 1 and self.settings.merge == "model"

    def run(
        self,
        text: str | bytes,
        title: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Briefing:
        started = time.monotonic()
        plan = self.plan(text, title)
        total = len(plan.chunks) + self._model_merges(plan)
        reaskers = [self.chunk_reasker(plan, chunk) for chunk in plan.chunks]
        drafts = []
        for reasker in reaskers:
            drafts.append(run_reasker(self.model, reasker))
            if on_progress:
                on_progress(Progress("brief", len(drafts), total))
        if self._model_merges(plan):
            reaskers.append(self.merge_reasker(plan, drafts))
            draft = tidy_draft(run_reasker(self.model, reaskers[-1]))
            if on_progress:
                on_progress(Progress("merge", total, total))
        else:
            draft = merge_drafts(drafts)
        return self.finish(plan, draft, self._total_usage(reaskers), started)

    async def arun(
        self,
        text: str | bytes,
        title: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Briefing:
        started = time.monotonic()
        plan = self.plan(text, title)
        total = len(plan.chunks) + self._model_merges(plan)
        limit = asyncio.Semaphore(self.settings.concurrency)
        reaskers = [self.chunk_reasker(plan, chunk) for chunk in plan.chunks]
        done = 0

        async def one(reasker: Reasker[DraftBriefing]) -> DraftBriefing:
            nonlocal done
            async with limit:
                draft = await arun_reasker(self.model, reasker)
            done += 1
            if on_progress:
                on_progress(Progress("brief", done, total))
            return draft

        drafts = list(await asyncio.gather(*(one(r) for r in reaskers)))
        if self._model_merges(plan):
            reaskers.append(self.merge_reasker(plan, drafts))
            draft = tidy_draft(await arun_reasker(self.model, reaskers[-1]))
            if on_progress:
                on_progress(Progress("merge", total, total))
        else:
            draft = merge_drafts(drafts)
        return self.finish(plan, draft, self._total_usage(reaskers), started)
