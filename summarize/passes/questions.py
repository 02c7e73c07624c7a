"""Open-questions pass: questions specific to the story, generic ones dropped by rule.

A small model's favourite question fits any article ("What is the current status of the
talks?"). A question is kept when it names something of this story: a name, a capitalised word
or a number that occurs in the article. Generic ones, copies of a prompt's example and
repeats of another question are dropped; when fewer than ``ENOUGH_QUESTIONS`` (4) remain, the
model is asked once more, with the dropped ones named. Positions that copy the positions
prompt's example are not shown to it (it would ask about them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import Field

from summarize.finish import echoes_prompt
from summarize.merge import same_question
from summarize.passes.base import Caller, PartContext
from summarize.retry import parse_json_object
from summarize.schema import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    DraftOpenQuestion,
    OpenQuestion,
    Position,
    Strict,
    strict_json_schema,
)

__all__ = ["TEMPLATE", "QuestionList", "is_generic", "run"]

TEMPLATE = "questions_task.j2"
_MAX_TOKENS = 700
# Names of the checklist shown as examples of what a question may name.
_EXAMPLE_NAMES = 4
_MAX_VIEWS = 12
# Fewer distinct, specific questions than this and the model is asked once more: an analyst
# expects about four (the schema's own floor is MIN_QUESTIONS).
ENOUGH_QUESTIONS = MIN_QUESTIONS + 1
# Sentences that say what is still to come, expected or left unsaid: the evidence of an open
# question, found before the model is asked ("Final results are expected Tuesday", "neither
# side would say when talks might resume").
_MAX_PENDING = 6
_PENDING = re.compile(
    r"\b(?:will|would|expected|expects?|plans?\s+to|planned|(?:is|are)\s+set\s+to|due|deadline"
    r"|next\s+(?:week|month|year)|could|may|might|whether|until|pending|yet\s+to|unclear"
    r"|undecided|(?:has|have)\s+not|remains?\s+to\s+be)\b",
    re.IGNORECASE,
)

_GENERIC = re.compile(
    r"^(?:what|how)\s+(?:is|are|was|were|will)\s+the\s+(?:current\s+)?"
    r"(?:status|state|situation|outcome|future|implications?|impact|consequences?|next\s+steps?)"
    r"\s+of\s+(?:the|this|these|it)\b(?!\s+(?-i:[A-Z0-9]))",  # "...of the Tisza dam" names it
    re.IGNORECASE,
)
_TERM = re.compile(r"\b(?:[A-Z][\w’'-]+|\d+(?:[.,]\d+)*)")
_QUESTION_WORDS = frozenset(
    [
        "what",
        "who",
        "whom",
        "whose",
        "which",
        "when",
        "where",
        "why",
        "how",
        "will",
        "would",
        "can",
        "could",
        "should",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "may",
        "might",
        "must",
        "i",
    ]
)


class QuestionList(Strict):
    open_questions: list[DraftOpenQuestion] = Field(
        max_length=MAX_QUESTIONS, json_schema_extra={"minItems": MIN_QUESTIONS}
    )


def _terms(text: str) -> set[str]:
    return {t.casefold() for t in _TERM.findall(text) if t.casefold() not in _QUESTION_WORDS}


def is_generic(question: str, article: str) -> bool:
    """Whether ``question`` could be asked of any article: a stock phrasing, or nothing in it
    (no name, number or longer word such as "strike" or "pipeline") that occurs in the
    article."""
    if _GENERIC.search(question.strip()):
        return True
    return not (_terms(question) & _terms(article) or _content(question) & _content(article))


_CONTENT = re.compile(r"[a-z][a-z’'-]{4,}")
_COMMON = frozenset(
    [
        "about",
        "after",
        "again",
        "against",
        "being",
        "between",
        "could",
        "doing",
        "during",
        "every",
        "first",
        "other",
        "their",
        "there",
        "these",
        "thing",
        "things",
        "those",
        "through",
        "under",
        "until",
        "where",
        "which",
        "while",
        "would",
        "happen",
        "happens",
        "happened",
        "future",
        "current",
        "status",
        "state",
        "situation",
        "outcome",
        "impact",
        "affect",
        "implications",
        "consequences",
        "article",
        "people",
        "issue",
        "issues",
    ]
)


def _content(text: str) -> set[str]:
    return {w for w in _CONTENT.findall(text.casefold()) if w not in _COMMON}


def run_parse(article: str, attempts: list[int]) -> Callable[[str], list[OpenQuestion]]:
    """The parser of one questions call; it asks again once when too few questions remain."""

    def parse(text: str) -> list[OpenQuestion]:
        answer = QuestionList.model_validate(parse_json_object(text))
        kept: list[OpenQuestion] = []
        dropped: list[str] = []
        for item in answer.open_questions:
            question = item.question.strip()
            if not question:
                continue
            if is_generic(question, article) or echoes_prompt(question, article):
                dropped.append(question)
                continue
            if any(same_question(q.question, question) for q in kept):
                continue  # merged later anyway: it must not count towards the minimum
            kept.append(OpenQuestion(question=question, why_open=item.why_open.strip() or None))
        attempts.append(len(kept))
        if len(kept) < ENOUGH_QUESTIONS and len(attempts) == 1:
            raise ValueError(
                f"only {len(kept)} of the questions are specific to this story and different "
                "from each other; "
                + (f"too generic: {'; '.join(dropped)}; " if dropped else "")
                + f"write {ENOUGH_QUESTIONS} to {MAX_QUESTIONS} questions, each naming a person, "
                "organisation, place, decision or date from the article"
            )
        return kept

    return parse


def pending(context: PartContext) -> list[str]:
    """The sentences of this part that say what is still to come, expected or unsaid."""
    found = [
        s.text
        for s in context.analysis.sentences
        if context.contains(s) and _PENDING.search(s.text)
    ]
    return found[:_MAX_PENDING]


async def run(
    caller: Caller, context: PartContext, positions: list[Position] | None = None
) -> list[OpenQuestion]:
    """``positions``: what the positions pass found, shown so the questions ask what they
    leave open ("Will X get Y?")."""
    # A stance the model copied from the positions prompt's example would be asked about
    # ("Will the CNL pay for the bridge with a fuel levy?"); finish drops it, so must this.
    article = context.chunk.text
    views = [
        f"{p.actor}: {p.stance}"
        for p in (positions or [])
        if not echoes_prompt(p.stance, context.plan.article)
    ][:_MAX_VIEWS]
    request = caller.request(
        context,
        TEMPLATE,
        strict_json_schema(QuestionList),
        name="questions",
        max_tokens=_MAX_TOKENS,
        names=context.names[:_EXAMPLE_NAMES],
        views=views,
        pending=pending(context),
    )
    attempts: list[int] = []
    parse = run_parse(article, attempts)
    return await caller.ask(request, parse)
