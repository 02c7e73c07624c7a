"""Judge mode: a capable model grades a briefing against its article with a rubric.

An optional, extra signal beside the reference-based scorers, never a replacement: its score is
reported as the ``judge`` field and is not part of the weighted overall. The judge sees the
article and the briefing (as the Markdown a reader gets, less its usage footer: the request, and
so its recording key, depends on content only), grades faithfulness, coverage, attribution and
open questions from 1 to 5 with one sentence each, and its answer is validated and re-asked like
any structured call.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from summarize.models import ChatModel, CompletionRequest
from summarize.prompts import Prompts
from summarize.render import briefing_to_markdown
from summarize.retry import Reasker, arun_reasker, parse_json_object, run_reasker
from summarize.schema import Briefing, strict_json_schema

__all__ = [
    "CRITERIA",
    "Grade",
    "JudgeVerdict",
    "ajudge_briefing",
    "judge_briefing",
    "judged_markdown",
    "parse_verdict",
]

CRITERIA = ("faithfulness", "coverage", "attribution", "questions")


class Grade(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: Literal[1, 2, 3, 4, 5]
    reason: str


class JudgeVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    faithfulness: Grade
    coverage: Grade
    attribution: Grade
    questions: Grade

    @property
    def value(self) -> float:
        """The mean grade mapped onto [0, 1] (1 -> 0, 5 -> 1)."""
        grades: list[int] = [getattr(self, c).grade for c in CRITERIA]
        return round(sum((g - 1) / 4 for g in grades) / len(grades), 4) + 0.0

    def explanation(self) -> str:
        return "; ".join(f"{c} {getattr(self, c).grade}/5" for c in CRITERIA)


def parse_verdict(text: str) -> JudgeVerdict:
    return JudgeVerdict.model_validate(parse_json_object(text))


def judged_markdown(briefing: Briefing) -> str:
    """What the judge reads: the reader's Markdown without its usage footer, whose seconds and
    tokens change from run to run; the judge's request (and its recording key) depends on the
    briefing's content only."""
    return briefing_to_markdown(briefing, footer=False)


def _reasker(
    model: ChatModel, article: str, briefing: Briefing, prompts: Prompts | None
) -> Reasker[JudgeVerdict]:
    prompts = prompts or Prompts()
    schema = strict_json_schema(JudgeVerdict)
    in_prompt = model.profile.structured_output in ("json_object", "none")
    messages = prompts.judge_messages(
        article, judged_markdown(briefing), schema=schema, schema_in_prompt=in_prompt
    )
    request = CompletionRequest(messages=messages, schema=schema, schema_name="verdict")
    return Reasker(model.profile, request, parse_verdict)


def judge_briefing(
    model: ChatModel, article: str, briefing: Briefing, prompts: Prompts | None = None
) -> JudgeVerdict:
    """The judge's verdict on ``briefing`` of ``article`` (``InvalidOutputError`` when the
    judge never gives a valid one; endpoint faults are retried as for a briefing)."""
    return run_reasker(model, _reasker(model, article, briefing, prompts))


async def ajudge_briefing(
    model: ChatModel, article: str, briefing: Briefing, prompts: Prompts | None = None
) -> JudgeVerdict:
    """``judge_briefing`` for async callers (the eval runner, several cases at once)."""
    return await arun_reasker(model, _reasker(model, article, briefing, prompts))
