"""Rendering a ``Briefing`` as Markdown for people.

Only verified evidence is shown as a quote. A position with no verified evidence is not listed
among the positions: it goes to a short section of its own, marked as unsupported, so a reader
never mistakes the model's claim for the article's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summarize.schema import Briefing, Quote, Source

__all__ = ["briefing_to_markdown"]


def _quote(quote: Quote) -> str:
    text = " ".join(quote.text.split())
    note = (
        " *(nearest sentence of the article to the model's paraphrase)*" if quote.replaced else ""
    )
    return f"  - > “{text}”{note}"


def source_parts(source: Source | None) -> list[str]:
    """Author, publication date and URL, those known, in the order a byline gives them."""
    if source is None:
        return []
    parts = [source.author or "", source.date.isoformat() if source.date else ""]
    return [p for p in parts if p] + ([source.url] if source.url else [])


def briefing_to_markdown(briefing: Briefing, *, footer: bool = True) -> str:
    """The briefing for a reader. ``footer=False`` leaves out the usage line (model, calls,
    tokens, wall-clock seconds): what a judge grades must depend on the content alone, or its
    recorded calls could never be replayed."""
    lines: list[str] = [f"# {briefing.title}" if briefing.title else "# Briefing", ""]
    byline = source_parts(briefing.source)
    if byline:
        if briefing.source and briefing.source.url:  # an autolink: a URL's _ and * stay literal
            byline[-1] = f"<{briefing.source.url}>"
        lines += ["*" + " · ".join(byline) + "*", ""]
    lines += ["## Summary", "", briefing.summary.strip() or "*(no summary)*", ""]

    lines += ["## Actors", ""]
    if not briefing.actors:
        lines.append("*(none found)*")
    for actor in briefing.actors:
        aliases = f" (also: {', '.join(actor.aliases)})" if actor.aliases else ""
        role = f": {actor.role}" if actor.role else ""
        lines.append(f"- **{actor.name}** [{actor.kind}]{role}{aliases}")
    lines.append("")

    supported = [p for p in briefing.positions if any(q.verified for q in p.evidence)]
    unsupported = [p for p in briefing.positions if not any(q.verified for q in p.evidence)]
    lines += ["## Positions", ""]
    if not supported:
        lines.append("*(no position with evidence found in the article)*")
    for position in supported:
        lines.append(f"- **{position.actor}**: {position.stance}")
        lines.extend(_quote(q) for q in position.evidence if q.verified)
    lines.append("")

    lines += ["## Open questions", ""]
    if not briefing.open_questions:
        lines.append("*(none)*")
    for question in briefing.open_questions:
        why = f" ({question.why_open})" if question.why_open else ""
        lines.append(f"- {question.question}{why}")
    lines.append("")

    if unsupported:
        lines += [
            "## Unsupported claims",
            "",
            "*The model stated these positions but none of its quotes could be found in the "
            "article; treat them as unverified.*",
            "",
        ]
        lines.extend(f"- {p.actor}: {p.stance}" for p in unsupported)
        lines.append("")

    if not footer:
        return "\n".join(lines) + "\n"
    usage = briefing.usage
    share = briefing.verified_share
    verified = f"{share:.0%} of quotes verified" if share is not None else "no quotes"
    lines.append(
        f"---\n*{usage.model or 'unknown model'} · {usage.calls} call(s) · "
        f"{usage.prompt_tokens}+{usage.completion_tokens} tokens · {usage.seconds:.1f}s · "
        f"{verified}*"
    )
    return "\n".join(lines) + "\n"
