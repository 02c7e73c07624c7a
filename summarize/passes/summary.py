"""Summary pass: a few complete sentences on what happened, who is involved, why it matters.

A summary that stops mid-sentence (no terminal punctuation) or leaves a quotation open is
asked again with the fault named: small models close the JSON string at a quotation mark.
"""

from __future__ import annotations

import logging
import re

from summarize.chunking import split_sentences
from summarize.errors import InvalidOutputError
from summarize.passes.base import Caller, PartContext
from summarize.retry import parse_json_object
from summarize.schema import MAX_SUMMARY_SENTENCES, Strict, strict_json_schema

__all__ = ["TEMPLATE", "SummaryText", "problem", "run"]

log = logging.getLogger(__name__)

TEMPLATE = "summary_task.j2"
_MAX_TOKENS = 400
_ENDS_WELL = re.compile(r"[.!?…][\"'”’»)\]]*$")


class SummaryText(Strict):
    summary: str


def problem(summary: str) -> str | None:
    """What is wrong with a summary, or None."""
    text = summary.strip()
    if not text:
        return "the summary is empty"
    if not _ENDS_WELL.search(text):
        return f"the summary stops mid-sentence (…{text[-40:]!r}); end it with a full stop"
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return "the summary leaves a quotation open; close every quotation mark"
    return None


def parse(text: str) -> str:
    summary = SummaryText.model_validate(parse_json_object(text)).summary.strip()
    fault = problem(summary)
    if fault:
        raise ValueError(fault)
    return first_sentences(summary, MAX_SUMMARY_SENTENCES)


def first_sentences(text: str, count: int) -> str:
    """The first ``count`` sentences of ``text`` (a summary that ran on is cut, not re-asked:
    its first sentences are the lead)."""
    spans = split_sentences(text)
    if len(spans) <= count:
        return text
    return text[: spans[count - 1][1]].strip()


async def run(caller: Caller, context: PartContext) -> str:
    request = caller.request(
        context,
        TEMPLATE,
        strict_json_schema(SummaryText),
        name="summary",
        max_tokens=_MAX_TOKENS,
    )
    try:
        return await caller.ask(request, parse)
    except InvalidOutputError as exc:
        salvaged = salvage(exc.last_output)
        if not salvaged:
            raise
        log.warning("kept the complete sentences of a summary the model never finished")
        return salvaged


def salvage(output: str) -> str:
    """The complete sentences of a summary that kept failing its checks, or ""."""
    try:
        summary = SummaryText.model_validate(parse_json_object(output)).summary.strip()
    except ValueError:
        return ""
    cut = max(summary.rfind(end) for end in ".!?…")
    kept = summary[: cut + 1] if cut > 0 else ""
    return kept if problem(kept) is None else ""
