"""The one-call flow (the ``single`` strategy): the whole briefing of a part in one call.

The model writes summary, actors, positions with quotes and open questions at once. Where the
endpoint enforces a schema and the embedded model builds its grammar, evidence is an enum of the
part's sentences, so quotes are verbatim by construction; elsewhere quotes are free text,
checked by grounding afterwards. (An external llama.cpp server turns such an enum into a broken
grammar when a sentence holds a quotation mark, and crashes: it gets free text.)
"""

from __future__ import annotations

import copy
from typing import Any

from summarize.chunking import split_sentences
from summarize.config import Settings
from summarize.merge import tidy_draft
from summarize.models import CompletionRequest
from summarize.passes.base import Caller, PartContext, coerce_actor
from summarize.retry import parse_json_object
from summarize.schema import (
    MAX_ACTORS,
    MAX_ALIASES,
    MAX_EVIDENCE,
    MAX_POSITIONS,
    MAX_QUESTIONS,
    Briefing,
    DraftBriefing,
    strict_json_schema,
)

__all__ = ["DRAFT_SCHEMA", "evidence_schema", "merge", "messages", "parse_draft", "run"]

DRAFT_SCHEMA = strict_json_schema(DraftBriefing)
# OpenAI's strict mode limits enums of more than 250 strings; past that, quotes are free text.
_MAX_SENTENCE_CHOICES = 250
_MIN_QUOTE_WORDS = 4


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
        coerce_actor(actor, MAX_ALIASES)
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


def evidence_schema(caller: Caller, settings: Settings, text: str) -> dict[str, Any]:
    """The briefing schema for one part: evidence limited to its sentences where that is
    safe and enforced (``settings.evidence == "sentences"``)."""
    profile = caller.model.profile
    enforced = profile.structured_output == "json_schema" or (
        profile.structured_output == "json_object_schema" and profile.is_local
    )
    if settings.evidence != "sentences" or not enforced:
        return DRAFT_SCHEMA
    sentences = [text[a:b] for a, b in split_sentences(text)]
    choices = list(
        dict.fromkeys(s for s in sentences if len(s.split()) >= _MIN_QUOTE_WORDS and "\\" not in s)
    )
    if not choices or len(choices) > _MAX_SENTENCE_CHOICES:
        return DRAFT_SCHEMA
    schema = copy.deepcopy(DRAFT_SCHEMA)
    evidence = schema["properties"]["positions"]["items"]["properties"]["evidence"]
    evidence["items"] = {"type": "string", "enum": choices}
    return schema


def messages(caller: Caller, context: PartContext) -> list[dict[str, str]]:
    return caller.prompts.brief_messages(
        context.chunk.text,
        title=context.title,
        part=context.chunk.index + 1,
        parts=context.parts,
        schema=DRAFT_SCHEMA,
        schema_in_prompt=caller.schema_in_prompt,
        names=context.names,
    )


async def run(caller: Caller, context: PartContext, settings: Settings) -> DraftBriefing:
    request = CompletionRequest(
        messages=messages(caller, context),
        schema=evidence_schema(caller, settings, context.chunk.text),
        schema_name="briefing",
    )
    return await caller.ask(request, parse_draft)


async def merge(caller: Caller, drafts: list[DraftBriefing], title: str | None) -> Briefing:
    """One more call: the model merges the parts' drafts (``merge = "model"``)."""
    request = CompletionRequest(
        messages=caller.prompts.merge_messages(
            [d.model_dump() for d in drafts],
            title=title,
            schema=DRAFT_SCHEMA,
            schema_in_prompt=caller.schema_in_prompt,
        ),
        schema=DRAFT_SCHEMA,
        schema_name="briefing",
    )
    return tidy_draft(await caller.ask(request, parse_draft))
