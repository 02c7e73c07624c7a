"""Open-questions pass, evidence first: the sentences that say what is not yet decided, done or
known are found by rule; the model turns them into questions, each citing its sentence.

Asked from the whole article, or from the actors' stances, a 1.5B model rephrases what someone
said ("Will Macron emphasise European unity?") or falls back on a question that fits any article
("What is the current status of the talks?"). The questions analysts write are about what the
story leaves undecided ("Will the commission allow the plant to run until 2035?"), and an
article says that in its own sentences: "must be approved by", "will hold hearings", "it is
unclear whether", "is considering an appeal". Those sentences are ranked by such cues and
shown numbered; each question cites one (an enum of the numbers). A question is still kept
only when it names something of this story; generic ones are dropped, and when fewer than
``MIN_QUESTIONS`` remain the model is asked once more, with the dropped ones named.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from pydantic import Field

from summarize.attribution import Sentence
from summarize.passes.base import Caller, PartContext
from summarize.retry import parse_json_object
from summarize.schema import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    OpenQuestion,
    Strict,
    strict_json_schema,
)

__all__ = ["MAX_SOURCES", "TEMPLATE", "QuestionList", "is_generic", "open_sentences", "run"]

TEMPLATE = "questions_task.j2"
_MAX_TOKENS = 400
# Names of the checklist shown as examples of what a question may name.
_EXAMPLE_NAMES = 4
# Sentences shown: enough for the questions asked, short enough for a small model.
MAX_SOURCES = 8
_MIN_SOURCES = 4

# What says that something is not settled yet, and how strongly.
_UNSETTLED = re.compile(
    r"\b(?:unclear|uncertain|undecided|whether|if any|remains? to be seen|"
    r"not (?:yet )?(?:known|clear|certain|decided|settled|said)|has yet to|have yet to|"
    r"declined to (?:say|comment)|did not say|would not say|no decision|"
    r"open question|unresolved|pending)\b",
    re.IGNORECASE,
)
_AHEAD = re.compile(
    r"\b(?:will|would|could|may|might|must|plans? to|planned|expected to|expects? to|"
    r"consider(?:s|ing)?|appeal(?:s|ed)?|approv(?:e|es|al)|vote|votes|ballot|hearings?|review|"
    r"decid(?:e|es|ing)|decision|ruling|threaten(?:s|ed)?|if|unless|deadline|next (?:week|month|"
    r"year)|talks|negotiat\w*|propos\w*|demand\w*|call(?:s|ed)? (?:on|for)|urge[sd]?|"
    r"warn(?:s|ed)?|risk)\b",
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


class AskedQuestion(Strict):
    source: int = Field(description="The number of the sentence that leaves this open.")
    question: str = Field(description="A question the article leaves unresolved.")


class QuestionList(Strict):
    open_questions: list[AskedQuestion] = Field(
        max_length=MAX_QUESTIONS, json_schema_extra={"minItems": MIN_QUESTIONS}
    )


def schema(count: int) -> dict[str, Any]:
    """The answer's schema, with a question's source limited to the numbers 1..count."""
    out = copy.deepcopy(strict_json_schema(QuestionList))
    source = out["properties"]["open_questions"]["items"]["properties"]["source"]
    source["enum"] = list(range(1, count + 1))
    return out


def _openness(sentence: Sentence) -> int:
    return 2 * len(_UNSETTLED.findall(sentence.text)) + len(_AHEAD.findall(sentence.text))


def open_sentences(context: PartContext) -> list[Sentence]:
    """The sentences of this part that most say what is not yet decided, done or known, in
    article order. When few carry such words, the last views reported (someone's demand is an
    open question: will they get it?) fill in, then the part's last sentences."""
    inside = [s for s in context.analysis.sentences if context.contains(s) and s.text.strip()]
    scored = [(s, _openness(s)) for s in inside]
    ranked = sorted((x for x in scored if x[1] > 0), key=lambda x: (-x[1], x[0].index))
    chosen = {s.index: s for s, _ in ranked[:MAX_SOURCES]}
    views = {a.sentence.index for a in context.analysis.attributions}
    fill = [s for s in reversed(inside) if s.index in views] + inside[::-1]
    for sentence in fill:
        if len(chosen) >= _MIN_SOURCES:
            break
        chosen.setdefault(sentence.index, sentence)
    return [chosen[i] for i in sorted(chosen)]


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


def run_parse(article: str, attempts: list[int], count: int) -> Callable[[str], list[OpenQuestion]]:
    """The parser of one questions call; it asks again once when too few questions remain."""

    def parse(text: str) -> list[OpenQuestion]:
        answer = QuestionList.model_validate(parse_json_object(text))
        wrong = sorted({q.source for q in answer.open_questions if not 1 <= q.source <= count})
        if wrong:
            raise ValueError(f"source cites {wrong}, but the sentences are numbered 1 to {count}")
        kept: list[OpenQuestion] = []
        dropped: list[str] = []
        for item in answer.open_questions:
            question = item.question.strip()
            if not question:
                continue
            if is_generic(question, article):
                dropped.append(question)
                continue
            if any(q.question.casefold() == question.casefold() for q in kept):
                continue
            kept.append(OpenQuestion(question=question))
        attempts.append(len(kept))
        if len(kept) < MIN_QUESTIONS and len(attempts) == 1:
            raise ValueError(
                f"only {len(kept)} of the questions are specific to this story; "
                + (f"too generic: {'; '.join(dropped)}; " if dropped else "")
                + f"write {MIN_QUESTIONS} to {MAX_QUESTIONS} questions, each naming a person, "
                "organisation, place, decision or date from the article"
            )
        return kept

    return parse


async def run(caller: Caller, context: PartContext) -> list[OpenQuestion]:
    sentences = open_sentences(context)
    if not sentences:
        return []
    request = caller.request(
        context,
        TEMPLATE,
        schema(len(sentences)),
        name="questions",
        max_tokens=_MAX_TOKENS,
        names=context.names[:_EXAMPLE_NAMES],
        sentences=[s.text for s in sentences],
    )
    attempts: list[int] = []
    parse = run_parse(context.chunk.text, attempts, len(sentences))
    return await caller.ask(request, parse)
