"""A briefing as one self-contained HTML page, the article beside it with every quote highlighted.

The left column is the briefing: summary, actors, positions grouped by actor, open questions,
and apart from them the positions none of whose quotes could be verified. The right column is
the article, every verified evidence span marked in its actor's colour (``<mark>`` with the
span's ``data-start``/``data-end`` offsets). Positions and quotes are buttons: clicking one, or
pressing Enter on it, scrolls to its quote and flashes it; a highlight's tooltip names who holds
it and the stance, and clicking a highlight leads back to its position.

The page is ``templates/briefing.html.j2`` rendered by Jinja's sandbox with autoescaping, so
nothing from the article or the model can become markup. It loads nothing: styles and the small
script are inline, and its Content-Security-Policy admits only that script (by hash) and no
network at all, so an escaping bug still could not run or fetch anything.

Offsets refer to the *cleaned* article (``summarize.text.clean_article``), not the raw file:
pass that text. A quote whose offsets do not fit the article given is an error, not a wrong
highlight.

The pure parts (``actor_colours``, ``highlights``, ``segments``, ``cited_sentences``,
``contrast_ratio``) are public so they can be tested without a browser.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from summarize.chunking import split_sentences
from summarize.grounding import normalise
from summarize.merge import actor_keys
from summarize.names import name_key, name_keys
from summarize.render import source_parts
from summarize.schema import Actor, Briefing

__all__ = [
    "INK",
    "PALETTE",
    "TEXT_COLOURS",
    "Highlight",
    "Segment",
    "actor_colours",
    "briefing_to_html",
    "cited_sentences",
    "contrast_ratio",
    "highlights",
    "segments",
]

TEMPLATE = "briefing.html.j2"
SCRIPT = "briefing.js"

# Text is always INK; every highlight colour must keep it readable (WCAG AA, contrast >= 4.5,
# checked in tests/test_html.py). Light tints, ordered so neighbours in the legend differ in hue.
INK = "#1d232a"
PALETTE = (
    "#ffd8a8",  # orange
    "#a5d8ff",  # blue
    "#b2f2bb",  # green
    "#fcc2d7",  # pink
    "#d0bfff",  # violet
    "#ffec99",  # yellow
    "#99e9f2",  # cyan
    "#ffc9c9",  # red
    "#d8f5a2",  # lime
    "#eebefa",  # grape
    "#96f2d7",  # teal
    "#bac8ff",  # indigo
)
# Every other (text, background) pair the page uses, by CSS variable name; tested like PALETTE.
TEXT_COLOURS = {
    "ink": (INK, "#ffffff"),
    "muted": ("#57606a", "#ffffff"),
    "accent": ("#0b57d0", "#ffffff"),
    "warn": ("#b3261e", "#fde8e7"),
    "hover": (INK, "#eef1f4"),
}
PAPER = "#ffffff"

# A short line with no closing punctuation and no comma reads as a heading or dateline.
_HEADING_MAX_WORDS = 10
_HEADING_ENDINGS = '.!?:;"”’)…'


# --- pure parts ------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours, from 1 (none) to 21 (black on white)."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _actor_index(name: str, actors: Sequence[Actor]) -> int | None:
    """The actor ``name`` refers to (name, alias or a person's surname), as merge.py matches."""
    exact = name_key(name)
    keyed = [actor_keys(a) for a in actors]
    for i, keys in enumerate(keyed):
        if exact in keys:
            return i
    wanted = name_keys(name)
    return next((i for i, keys in enumerate(keyed) if wanted & keys), None)


@dataclass(frozen=True)
class _ColourPlan:
    holder: dict[str, int | str]  # a position's actor -> listed actor's index, or unlisted key
    colour: dict[int | str, int]  # listed index or unlisted key -> palette index
    name: dict[int | str, str]  # listed index or unlisted key -> display name


def _colour_plan(briefing: Briefing) -> _ColourPlan:
    holder: dict[str, int | str] = {}
    for position in briefing.positions:
        if position.actor not in holder:
            index = _actor_index(position.actor, briefing.actors)
            holder[position.actor] = (
                index if index is not None else name_key(position.actor) or position.actor
            )
    # Only actors who hold a position take a colour, so the palette lasts longer.
    listed = sorted({h for h in holder.values() if isinstance(h, int)})
    unlisted = list(dict.fromkeys(h for h in holder.values() if isinstance(h, str)))
    name: dict[int | str, str] = {i: briefing.actors[i].name for i in listed}
    for actor, key in holder.items():
        name.setdefault(key, actor)  # an unlisted actor is named as first written
    order: list[int | str] = [*listed, *unlisted]
    return _ColourPlan(holder, {key: i for i, key in enumerate(order)}, name)


def actor_colours(briefing: Briefing) -> dict[str, tuple[str, int]]:
    """Each position's actor string -> (the actor's display name, its palette index).

    Actors holding a position take colours in the order of the actor list (so the list and
    the legend agree); a position whose actor is not listed gets a colour of its own after
    them; actors holding no position take none.
    """
    plan = _colour_plan(briefing)
    return {actor: (plan.name[key], plan.colour[key]) for actor, key in plan.holder.items()}


@dataclass(frozen=True)
class Highlight:
    """One verified evidence quote placed in the article: ``article[start:end]``."""

    start: int
    end: int
    position: int  # index of its position in ``briefing.positions``
    quote: int  # index of the quote in that position's evidence
    actor: str  # the actor's display name
    stance: str
    colour: int  # palette index

    @property
    def quote_id(self) -> str:
        return f"p{self.position}q{self.quote}"

    @property
    def position_id(self) -> str:
        return f"p{self.position}"


def highlights(briefing: Briefing, article: str) -> list[Highlight]:
    """Every verified quote of ``briefing`` as a span of ``article``.

    Raises ``ValueError`` when a verified quote's offsets do not fit ``article``: the article
    is not the cleaned text the briefing was grounded in.
    """
    colours = actor_colours(briefing)
    out = []
    for i, position in enumerate(briefing.positions):
        actor, colour = colours[position.actor]
        for j, quote in enumerate(position.evidence):
            if not quote.verified:
                continue
            start, end = quote.start, quote.end
            if start is None or end is None or not 0 <= start < end <= len(article):
                raise ValueError(
                    f"quote {quote.text[:60]!r} of {position.actor} has offsets "
                    f"{start}..{end}, outside an article of {len(article)} characters"
                )
            # Compared normalised, as grounding does: whitespace and quote marks may differ.
            if normalise(article[start:end]) != normalise(quote.text):
                raise ValueError(
                    f"quote {quote.text[:60]!r} of {position.actor} is not article[{start}:{end}] "
                    f"({article[start:end][:60]!r}): pass the cleaned article the briefing was "
                    "made from (summarize.text.clean_article), not the raw file"
                )
            out.append(Highlight(start, end, i, j, actor, position.stance, colour))
    return out


@dataclass(frozen=True)
class Segment:
    """A piece ``[start, end)`` of the article and every highlight that covers all of it."""

    start: int
    end: int
    holders: tuple[Highlight, ...] = ()


def segments(start: int, end: int, spans: Sequence[Highlight]) -> list[Segment]:
    """``[start, end)`` cut wherever a highlight begins or ends, each piece with its holders.

    Overlapping quotes (two positions citing the same or overlapping sentences) thus become
    consecutive pieces, a piece covered by both carrying both, so no highlight hides another.
    """
    cuts = {start, end}
    for span in spans:
        cuts.update(edge for edge in (span.start, span.end) if start < edge < end)
    edges = sorted(cuts)
    return [
        Segment(a, b, tuple(s for s in spans if s.start < b and s.end > a))
        for a, b in itertools.pairwise(edges)
    ]


def cited_sentences(article: str, spans: Sequence[Highlight]) -> tuple[int, int]:
    """(sentences of the article that some highlight touches, all its sentences)."""
    sentences = split_sentences(article)
    cited = sum(1 for a, b in sentences if any(s.start < b and s.end > a for s in spans))
    return cited, len(sentences)


# --- what the template is given ----------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    text: str
    holders: tuple[Highlight, ...]

    @property
    def actor(self) -> str:
        return self.holders[0].actor

    @property
    def title(self) -> str:
        return "\n".join(f"{h.actor}: {h.stance}" for h in self.holders)

    @property
    def quotes(self) -> str:
        return " ".join(dict.fromkeys(h.quote_id for h in self.holders))

    @property
    def positions(self) -> str:
        return " ".join(dict.fromkeys(h.position_id for h in self.holders))

    @property
    def background(self) -> str:
        """The holders' colours: one, or stripes of each actor's when actors share the words."""
        colours = list(dict.fromkeys(h.colour % len(PALETTE) for h in self.holders))
        if len(colours) == 1:
            return f"var(--a{colours[0]})"
        width = 0.45
        stops = ",".join(
            f"var(--a{c}) {k * width:.2f}em {(k + 1) * width:.2f}em" for k, c in enumerate(colours)
        )
        return f"repeating-linear-gradient(135deg,{stops})"


@dataclass(frozen=True)
class _Paragraph:
    pieces: list[_Piece]
    heading: bool


@dataclass(frozen=True)
class _QuoteView:
    id: str
    text: str
    replaced: bool


@dataclass(frozen=True)
class _PositionView:
    id: str
    actor: str
    stance: str
    quotes: list[_QuoteView]
    unverified: list[str]


@dataclass(frozen=True)
class _ActorView:
    name: str
    kind: str
    role: str
    aliases: list[str]
    colour: int | None  # None: the actor holds no position
    highlighted: bool  # some verified quote of this actor is marked in the article
    listed: bool = True  # in the briefing's actors, not only named by a position
    positions: list[_PositionView] = field(default_factory=list)

    @property
    def swatch(self) -> str:
        return "none" if self.colour is None else f"var(--a{self.colour % len(PALETTE)})"


def _is_heading(line: str) -> bool:
    words = line.split()
    return len(words) <= _HEADING_MAX_WORDS and "," not in line and line[-1] not in _HEADING_ENDINGS


def _paragraphs(article: str, spans: Sequence[Highlight]) -> list[_Paragraph]:
    """One paragraph per line of the cleaned article; a quote crossing a line break becomes a
    mark on each side of it, each with its own offsets."""
    out = []
    for line in re.finditer(r"[^\n]+", article):
        pieces = [
            _Piece(s.start, s.end, article[s.start : s.end], s.holders)
            for s in segments(line.start(), line.end(), spans)
        ]
        out.append(_Paragraph(pieces, _is_heading(line.group())))
    return out


def _actor_views(briefing: Briefing, spans: Sequence[Highlight]) -> list[_ActorView]:
    """Listed actors, then actors only the positions name, each with its supported positions."""
    plan = _colour_plan(briefing)
    marked = {s.colour for s in spans}
    views: dict[int | str, _ActorView] = {}
    for i, a in enumerate(briefing.actors):
        colour = plan.colour.get(i)
        views[i] = _ActorView(a.name, a.kind, a.role, list(a.aliases), colour, colour in marked)
    for key, colour in plan.colour.items():
        if isinstance(key, str):
            views[key] = _ActorView(plan.name[key], "", "", [], colour, colour in marked, False)
    for i, position in enumerate(briefing.positions):
        verified = [(j, q) for j, q in enumerate(position.evidence) if q.verified]
        if verified:
            view = views[plan.holder[position.actor]]
            view.positions.append(
                _PositionView(
                    id=f"p{i}",
                    actor=view.name,
                    stance=position.stance,
                    quotes=[_QuoteView(f"p{i}q{j}", q.text, q.replaced) for j, q in verified],
                    unverified=[q.text for q in position.evidence if not q.verified],
                )
            )
    return list(views.values())


def _unsupported(briefing: Briefing) -> list[_PositionView]:
    return [
        _PositionView(f"p{i}", p.actor, p.stance, [], [q.text for q in p.evidence])
        for i, p in enumerate(briefing.positions)
        if not any(q.verified for q in p.evidence)
    ]


# --- rendering -------------------------------------------------------------------------------


def _templates_dir() -> Path:
    return Path(str(resources.files("summarize.templates")))


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(_templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _script() -> tuple[Markup, str]:
    """The page's script and its CSP hash (the policy admits this script and no other)."""
    text = (_templates_dir() / SCRIPT).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"sha256-{digest}"  # our own file, not data: not to be escaped


@dataclass(frozen=True)
class _Byline:
    """Author and date as text; the URL, a link only when it is a web address."""

    text: str
    url: str | None
    link: bool


def _byline(briefing: Briefing) -> _Byline | None:
    source = briefing.source
    if source is None or not (source.author or source.date or source.url):
        return None
    text = " · ".join(source_parts(source.model_copy(update={"url": None})))
    url = source.url
    # Only http(s) becomes a link: a "javascript:" URL must stay text.
    return _Byline(text, url, bool(url and url.lower().startswith(("http://", "https://"))))


def briefing_to_html(
    briefing: Briefing,
    article: str,
    *,
    subtitle: str | None = None,
    back_link: tuple[str, str] | None = None,
) -> str:
    """The page: ``briefing`` beside ``article`` (the cleaned text its offsets refer to).

    ``subtitle`` is a line under the title (the eval report says which briefing this is);
    ``back_link`` is ``(href, label)`` of a link above it (back to the report).
    """
    spans = highlights(briefing, article)
    cited, sentences = cited_sentences(article, spans)
    shared = any(len({h.colour for h in s.holders}) > 1 for s in segments(0, len(article), spans))
    script, script_hash = _script()
    template = _environment().get_template(TEMPLATE)
    return template.render(
        title=briefing.title or "Briefing",
        byline=_byline(briefing),
        subtitle=subtitle,
        back_link=back_link,
        summary=briefing.summary.strip(),
        actors=_actor_views(briefing, spans),
        unsupported=_unsupported(briefing),
        questions=briefing.open_questions,
        paragraphs=_paragraphs(article, spans),
        shared=shared,
        usage=briefing.usage,
        verified_share=briefing.verified_share,
        cited=cited,
        sentences=sentences,
        palette=PALETTE,
        colours=TEXT_COLOURS,
        paper=PAPER,
        script=script,
        script_hash=script_hash,
    )
