"""Finishing a briefing: ``Briefing -> Briefing`` steps after the model has spoken.

* ``ground``: every quote checked against the article again; a quote that already carries
  offsets is kept only if the article really holds it there.
* ``drop_prompt_echoes``: a stance, role or question that repeats one of the prompts' examples
  (``summarize.prompts.EXAMPLES``) and is not in the article is the model copying its
  instructions ("Wants the bridge paid for by a fuel levy" in a story about Ukraine).
* ``one_view_per_quote``: several stances of one actor resting on the same quotes keep only the
  one closest to them: one sentence cannot show them all.
* ``drop_bystanders``: actors that hold no position and are only where the story happens ("in
  Phnom Penh", "in Africa and Southeast Asia") or who report it (the model's role says
  "reporter": "VOA's Khmer service") are not actors; nor is a country or an actor of kind
  "other" that holds no position and never acts (never the subject of a verb): "South Korea"
  in "solid alliances in Asia, with Japan and South Korea", "Gross Domestic Product".
* ``add_acting_actors`` (``summarize.acting``): a country or organisation the story makes act
  ("The US on Tuesday deported five men", "CNL immediately cried foul") is an actor even when
  it says nothing.
"""

from __future__ import annotations

import logging
import re

from rapidfuzz import fuzz

from summarize.acting import acts, add_acting_actors
from summarize.grounding import ArticleIndex, ground_quote
from summarize.names import CAPITALISED
from summarize.prompts import EXAMPLES
from summarize.schema import Actor, Briefing, Position, Quote

__all__ = ["drop_bystanders", "drop_prompt_echoes", "finish", "ground", "one_view_per_quote"]

log = logging.getLogger(__name__)

# A stance or role this close (rapidfuzz ratio) to an example of the prompt is an echo of it.
_ECHO_RATIO = 90
_MIN_ECHO_WORDS = 4
_ECHO_EXAMPLES = [e for e in EXAMPLES.values() if len(e.split()) >= _MIN_ECHO_WORDS]
_WORD = re.compile(r"[\w'’-]+")


def _runs(text: str) -> set[str]:
    words = _WORD.findall(text.casefold())
    return {
        " ".join(words[i : i + _MIN_ECHO_WORDS]) for i in range(len(words) - _MIN_ECHO_WORDS + 1)
    }


_EXAMPLE_RUNS = set().union(*(_runs(e) for e in _ECHO_EXAMPLES))


def _checked(quote: Quote, index: ArticleIndex) -> Quote:
    if (
        quote.verified
        and quote.start is not None
        and quote.end is not None
        and index.article[quote.start : quote.end] == quote.text
    ):
        return quote
    return ground_quote(quote.original or quote.text, index)


def ground(briefing: Briefing, article: str) -> Briefing:
    """Every quote checked against ``article``; empty and repeated quotes dropped."""
    index = ArticleIndex(article)
    positions = []
    for position in briefing.positions:
        quotes: dict[object, Quote] = {}
        for quote in position.evidence:
            if not quote.text.strip(" \"'“”‘’.,;:"):
                continue
            checked = _checked(quote, index)
            key = (checked.start, checked.end) if checked.verified else checked.text.casefold()
            quotes.setdefault(key, checked)
        positions.append(position.model_copy(update={"evidence": list(quotes.values())}))
    return briefing.model_copy(update={"positions": positions})


def echoes_prompt(text: str, article: str) -> bool:
    """Whether ``text`` repeats one of the prompts' examples rather than the article."""
    said = text.casefold().strip(" .")
    if not said:
        return False
    # The text alone first: most stances resemble no example, and the article may be huge.
    close = [e for e in _ECHO_EXAMPLES if fuzz.ratio(said, e.casefold()) >= _ECHO_RATIO]
    # A run of words from an example ("pushes for the new bridge", "a fuel levy rather than by
    # property taxes" inside a question).
    runs = [run for run in _runs(said) if run in _EXAMPLE_RUNS]
    if not close and not runs:
        return False
    folded = article.casefold()
    if any(example.casefold() not in folded for example in close):
        return True
    return any(not _in_text(run, folded) for run in runs)


def _in_text(run: str, folded: str) -> bool:
    """Whether the words of ``run`` occur in a row in ``folded``, whatever separates them."""
    separator = r"[^\w'’-]+"
    pattern = r"(?<![\w'’-])" + separator.join(map(re.escape, run.split())) + r"(?![\w'’-])"
    return re.search(pattern, folded) is not None


def drop_prompt_echoes(briefing: Briefing, article: str) -> Briefing:
    positions = []
    for position in briefing.positions:
        if echoes_prompt(position.stance, article):
            log.warning(
                "dropped a position of %s that repeats the prompt's example", position.actor
            )
            continue
        positions.append(position)
    actors = [
        a.model_copy(update={"role": ""}) if echoes_prompt(a.role, article) else a
        for a in briefing.actors
    ]
    questions = []
    for question in briefing.open_questions:
        if echoes_prompt(question.question, article):
            log.warning("dropped an open question that repeats the prompt's example")
            continue
        questions.append(question)
    return briefing.model_copy(
        update={"positions": positions, "actors": actors, "open_questions": questions}
    )


def one_view_per_quote(briefing: Briefing) -> Briefing:
    """One position per actor and set of verified quotes.

    Small models repeat one sentence as the evidence of several stances of the same actor
    ("Wants X", "Wants Y", "Wants Z", all backed by one quote). Of such a group the stance
    closest in words to the quote is kept, in its place.
    """
    positions: list[Position] = briefing.positions
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
    kept = [p for i, p in enumerate(positions) if i not in dropped]
    return briefing.model_copy(update={"positions": kept})


# The model's role for someone who only reports the story ("reporter" for "VOA's Khmer"; not
# the plural: it gave "reporters" as the role of election observers).
_REPORTS = re.compile(
    r"\b(?:reporter|correspondent|journalist|news|media|newspaper|broadcaster)\b", re.IGNORECASE
)
# What precedes a mention of a place: a preposition of place, "the", and maybe the places
# listed before it ("in Africa and Southeast Asia", "in Benin, Togo and West Africa").
_AT_A_PLACE = re.compile(
    r"\b(?:in|at|across|throughout|near|into|around|during|inside|outside)\s+(?:the\s+)?"
    rf"(?:{CAPITALISED}\s*(?:,|\band\b|\bor\b)\s*)*$"
)


def _mentions(name: str, article: str) -> list[int]:
    """Where ``name`` stands alone in ``article``: not inside a longer name ("Alder Valley" in
    "Alder Valley Farmers Cooperative")."""
    pattern = r"(?<![\w'’-])" + re.escape(name) + r"(?![\w'’-]|\s+[A-Z])"
    return [m.start() for m in re.finditer(pattern, article)]


def is_place(actor: Actor, article: str) -> bool:
    """Whether every mention of ``actor`` in ``article`` says where something happens."""
    if actor.kind == "person":
        return False
    starts = [i for name in (actor.name, *actor.aliases) for i in _mentions(name, article)]
    return bool(starts) and all(_AT_A_PLACE.search(article[max(0, i - 80) : i]) for i in starts)


# Kinds of actor that are only a setting when they neither speak nor act.
_SETTING_KINDS = {"country", "other"}


def drop_bystanders(briefing: Briefing, article: str) -> Briefing:
    """Actors that hold no position and are only places or reporters of the story, or
    countries and things that never act in it, dropped."""
    held = {p.actor for p in briefing.positions}
    actors = []
    for actor in briefing.actors:
        if actor.name not in held and (
            _REPORTS.search(actor.role)
            or is_place(actor, article)
            or (actor.kind in _SETTING_KINDS and not acts(actor, article))
        ):
            log.info("dropped %s: a place, a setting or a reporter, not an actor", actor.name)
            continue
        actors.append(actor)
    return briefing.model_copy(update={"actors": actors})


def finish(briefing: Briefing, article: str) -> Briefing:
    """The steps above, in order."""
    briefing = ground(briefing, article)
    briefing = drop_prompt_echoes(briefing, article)
    briefing = one_view_per_quote(briefing)
    briefing = drop_bystanders(briefing, article)
    return add_acting_actors(briefing, article)
