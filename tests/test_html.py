"""The briefing as a page: segments, escaping, colours, the CLI and the eval drill-down, and the
page itself in headless Chromium (marks checked against the article, screenshots at desktop and
phone widths). No model is called: briefings are built by hand or answered by ``FakeModel``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import random
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_cli import QUOTE, run  # the CLI driver and the quote its fake model gives
from test_cli import fake as fake  # the fixture: a FakeModel behind the CLI
from test_eval import BRIDGE_ARTICLE, CASE_IDS, answering, evaluate, write_dataset

from summarize.chunking import split_sentences
from summarize.evaluation.dataset import load_dataset
from summarize.evaluation.report import render_html, write_reports
from summarize.grounding import ArticleIndex, ground_evidence
from summarize.html import (
    INK,
    PALETTE,
    TEXT_COLOURS,
    Highlight,
    actor_colours,
    briefing_to_html,
    cited_sentences,
    contrast_ratio,
    highlights,
    segments,
)
from summarize.schema import Actor, Briefing, OpenQuestion, Position, Quote, Usage
from summarize.testing import FakeModel
from summarize.text import clean_article

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "macron-trump-ukraine-talks.txt"
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

# --- a briefing of the seed, written by hand, every quote grounded for real -------------------

PUTIN_SENTENCE = (
    "Putin, in turn, demands a complete cessation of military aid to Kyiv, which contradicts "
    "Macron’s plans to increase support for Ukraine."
)
SEED_POSITIONS: list[tuple[str, str, list[str]]] = [
    (
        "Donald Trump",
        "Wants a quick ceasefire, even if Europe must stop arming Ukraine.",
        [
            "Macron’s efforts could lead to a conflict with Trump, who insists on a quick "
            "ceasefire, which would require European countries to stop supplying weapons to "
            "Ukraine.",
            "Trump sees the cessation of hostilities as a means to unlock new cooperation with "
            "Russia",
        ],
    ),
    ("Putin", "Demands that all military aid to Kyiv stop.", [PUTIN_SENTENCE]),
    (
        "Emmanuel Macron",
        "Rallies Europe to keep supporting Ukraine, whatever Trump says.",
        [
            "On the eve of the EU summit in Brussels, Macron is actively consolidating European "
            "countries to support Ukraine",
            # Inside Putin's sentence: the two highlights overlap.
            "Macron’s plans to increase support for Ukraine",
        ],
    ),
    (
        "Sophie Primas",
        "Calls Putin's demand unrealistic.",
        ["French government spokeswoman Sophie Primas called such a demand “unrealistic.”"],
    ),
    (
        "Keir Starmer",
        "Will put a plan for 30,000 European troops in Ukraine to Trump.",
        [
            "British Prime Minister Keir Starmer plans to present a peacekeeping plan to US "
            "President Donald Trump, which provides for the deployment of 30,000 European troops "
            "in Ukraine."
        ],
    ),
    (
        "Volodymyr Zelenskyy",
        "Sees European troops as pressure on Russia, not a substitute for NATO membership.",
        [
            "the deployment of European partners’ troops in Ukraine could be one of the most "
            "effective means of putting pressure on Russia to achieve peace",
            "a peacekeeping mission should not replace Ukraine’s membership in NATO",
        ],
    ),
    (
        "Eric Lombard",
        "France cannot take on more public debt to pay for it.",
        ["Eric Lombard has emphasized that France cannot increase its public debt."],
    ),
    # The model's invention: no quote of it is in the article.
    (
        "Mette Frederiksen",
        "Wants Denmark to lead the peacekeeping force.",
        ["Denmark will lead any European force in Ukraine"],
    ),
]


def seed_article() -> str:
    return clean_article(SEED.read_bytes())


def seed_briefing() -> Briefing:
    """A briefing of the seed as a good model would write it, quotes grounded by grounding.py."""
    index = ArticleIndex(seed_article())
    return Briefing(
        title="Macron and Trump: What’s Behind the Scenes of the Ukraine Talks",
        summary=(
            "Emmanuel Macron is using Donald Trump's push for a quick ceasefire to retake the lead "
            "in Europe, rallying allies to keep arming Ukraine while Vladimir Putin demands that "
            "all military aid stop. With Keir Starmer he is preparing a European force to support "
            "Ukraine after a truce, and he relies on his personal ties with Trump. How France "
            "would pay for it is open: Macron rules out new taxes and the finance minister more "
            "debt."
        ),
        actors=[
            Actor(
                name="Emmanuel Macron",
                aliases=["Macron"],
                kind="person",
                role="President of France",
            ),
            Actor(
                name="Donald Trump",
                aliases=["Trump"],
                kind="person",
                role="President of the United States",
            ),
            Actor(
                name="Vladimir Putin", aliases=["Putin"], kind="person", role="President of Russia"
            ),
            Actor(
                name="Volodymyr Zelenskyy",
                aliases=["Zelenskiy"],
                kind="person",
                role="President of Ukraine",
            ),
            Actor(name="Keir Starmer", kind="person", role="British Prime Minister"),
            Actor(name="Sophie Primas", kind="person", role="French government spokeswoman"),
            Actor(
                name="Eric Lombard",
                aliases=["Lombard"],
                kind="person",
                role="French Finance Minister",
            ),
            Actor(name="Mette Frederiksen", kind="person", role="Danish Prime Minister"),
        ],
        positions=[
            Position(actor=actor, stance=stance, evidence=ground_evidence(quotes, index))
            for actor, stance, quotes in SEED_POSITIONS
        ],
        open_questions=[
            OpenQuestion(
                question="How will France pay for its support to Kyiv?",
                why_open="Macron rules out raising taxes and Lombard rules out more public debt.",
            ),
            OpenQuestion(
                question="Will Trump accept a European peacekeeping force in Ukraine?",
                why_open="Starmer has yet to present the plan to him.",
            ),
            OpenQuestion(
                question="Will Europe keep arming Ukraine if Trump and Putin agree a ceasefire?",
                why_open="European leaders reject Putin's conditions; Trump wants a quick deal.",
            ),
        ],
        usage=Usage(
            model="hand-written example",
            calls=1,
            prompt_tokens=2157,
            completion_tokens=812,
            seconds=41.3,
        ),
    )


# --- reading the page back ---------------------------------------------------------------------


class PageReader(HTMLParser):
    """The marks (attributes and text), buttons, paragraphs of the article and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[dict[str, Any]] = []
        self.buttons: list[dict[str, str | None]] = []
        self.paragraphs: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.tags: list[str] = []
        self._mark: dict[str, Any] | None = None
        self._script: tuple[dict[str, str | None], list[str]] | None = None
        self._text_depth = 0  # inside <div class="text">: the article
        self._paragraph: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "mark":
            self._mark = {**attributes, "text": ""}
        elif tag == "button":
            self.buttons.append(attributes)
        elif tag == "script":
            self._script = (attributes, [])
        elif tag == "div" and attributes.get("class") == "text":
            self._text_depth = 1
        elif tag == "div" and self._text_depth:
            self._text_depth += 1
        elif tag == "p" and self._text_depth:
            self._paragraph = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._mark is not None:
            self.marks.append(self._mark)
            self._mark = None
        elif tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None
        elif tag == "div" and self._text_depth:
            self._text_depth -= 1
        elif tag == "p" and self._paragraph is not None:
            self.paragraphs.append("".join(self._paragraph))
            self._paragraph = None

    def handle_data(self, data: str) -> None:
        if self._mark is not None:
            self._mark["text"] += data
        if self._script is not None:
            self._script[1].append(data)
        if self._paragraph is not None:
            self._paragraph.append(data)


def read_page(page: str) -> PageReader:
    reader = PageReader()
    reader.feed(page)
    reader.close()
    return reader


def covered(ranges: list[tuple[int, int]]) -> set[int]:
    return {i for start, end in ranges for i in range(start, end)}


def verified_spans(briefing: Briefing) -> list[tuple[int, int]]:
    return [
        (q.start, q.end)
        for p in briefing.positions
        for q in p.evidence
        if q.verified and q.start is not None and q.end is not None
    ]


def span(start: int, end: int, position: int = 0, colour: int = 0) -> Highlight:
    return Highlight(start, end, position, 0, f"actor {colour}", f"stance {position}", colour)


# --- 1. colours --------------------------------------------------------------------------------


def test_contrast_ratio_gives_the_wcag_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#3b82f6", "#3b82f6") == pytest.approx(1.0)
    # WCAG's borderline example: #777777 on white just fails AA, #767676 just passes.
    assert contrast_ratio("#777777", "#ffffff") < 4.5 < contrast_ratio("#767676", "#ffffff")


@pytest.mark.parametrize("colour", PALETTE)
def test_text_on_every_highlight_colour_passes_wcag_aa(colour: str) -> None:
    assert contrast_ratio(INK, colour) >= 4.5, colour


@pytest.mark.parametrize("name", sorted(TEXT_COLOURS))
def test_every_other_text_colour_of_the_page_passes_wcag_aa(name: str) -> None:
    foreground, background = TEXT_COLOURS[name]
    assert contrast_ratio(foreground, background) >= 4.5, name


def test_the_page_colours_text_only_with_the_tested_colours() -> None:
    page = seed_briefing().to_html(seed_article())
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    assert css is not None
    for colour in PALETTE:
        assert colour in css.group(1)
    for foreground, background in TEXT_COLOURS.values():
        assert foreground in css.group(1) and background in css.group(1)
    # Every text colour is one of the variables above, never a literal the tests do not check.
    colours = re.findall(r"(?<![-\w])color:([^;}]+)", css.group(1))
    assert colours
    assert all(re.fullmatch(r"var\(--(ink|muted|accent|warn)\)", c) for c in colours), colours
    # Marks are coloured from the palette variables only.
    for mark in read_page(page).marks:
        assert re.fullmatch(
            r"background:(var\(--a\d+\)|repeating-linear-gradient\(.*\))", mark["style"]
        ), mark["style"]
        assert not re.search(r"#[0-9a-f]{3,6}", mark["style"])


# --- 2. pure parts -----------------------------------------------------------------------------


def test_overlapping_quotes_become_pieces_each_carrying_every_holder() -> None:
    first, second = span(0, 10, position=0, colour=0), span(5, 15, position=1, colour=1)
    pieces = segments(0, 20, [first, second])
    assert [(p.start, p.end) for p in pieces] == [(0, 5), (5, 10), (10, 15), (15, 20)]
    assert [p.holders for p in pieces] == [(first,), (first, second), (second,), ()]


def test_the_same_quote_cited_twice_is_one_piece_with_both_holders() -> None:
    first, second = span(3, 8, position=0), span(3, 8, position=1)
    pieces = segments(0, 8, [first, second])
    assert [(p.start, p.end, p.holders) for p in pieces] == [(0, 3, ()), (3, 8, (first, second))]


def test_segments_tile_the_range_and_each_piece_is_inside_all_its_holders() -> None:
    rng = random.Random(11)
    for _ in range(200):
        spans = []
        for i in range(rng.randint(0, 6)):
            a = rng.randint(0, 59)
            spans.append(span(a, rng.randint(a + 1, 60), position=i))
        lo, hi = rng.randint(0, 30), rng.randint(30, 60)
        pieces = segments(lo, hi, spans)
        assert [p.start for p in pieces] == [lo, *[p.end for p in pieces[:-1]]]
        assert pieces[-1].end == hi if hi > lo else pieces == []
        for piece in pieces:
            assert piece.start < piece.end
            expected = {s for s in spans if s.start < piece.end and s.end > piece.start}
            assert set(piece.holders) == expected
            assert all(s.start <= piece.start and piece.end <= s.end for s in piece.holders)


def test_cited_sentences_counts_the_sentences_a_quote_touches() -> None:
    article = "One is here. Two is there. Three is everywhere. Four is nowhere."
    sentences = split_sentences(article)
    assert len(sentences) == 4
    two, three = sentences[1], sentences[2]
    # A quote inside sentence two, and one from the end of two into three.
    spans = [span(two[0], two[0] + 3), span(two[1] - 4, three[0] + 5, position=1)]
    assert cited_sentences(article, spans) == (2, 4)
    assert cited_sentences(article, []) == (0, 4)
    whole = span(0, len(article))
    assert cited_sentences(article, [whole]) == (4, 4)


def test_a_position_naming_an_alias_takes_its_actors_colour_and_an_unlisted_actor_its_own() -> None:
    briefing = Briefing(
        summary="s",
        actors=[
            Actor(name="Emmanuel Macron", aliases=["the French president"], kind="person"),
            Actor(name="Donald Trump", kind="person"),
        ],
        positions=[
            Position(actor="Trump", stance="a"),
            Position(actor="the French President", stance="b"),
            Position(actor="Emmanuel Macron", stance="c"),
            Position(actor="A senior EU official", stance="d"),
            Position(actor="a senior EU official", stance="e"),
        ],
    )
    assert actor_colours(briefing) == {
        "Trump": ("Donald Trump", 1),
        "the French President": ("Emmanuel Macron", 0),
        "Emmanuel Macron": ("Emmanuel Macron", 0),
        "A senior EU official": ("A senior EU official", 2),
        "a senior EU official": ("A senior EU official", 2),
    }


def test_a_briefing_with_the_raw_article_instead_of_the_cleaned_one_is_refused() -> None:
    raw = (
        "<div><p>The mayor said the bridge &amp; the road will close.</p>\n"
        "<p>Shops fear it.</p></div>"
    )
    cleaned = clean_article(raw)
    assert cleaned.startswith("The mayor said")
    quote = "the bridge & the road will close"
    start = cleaned.index(quote)
    briefing = Briefing(
        summary="s",
        positions=[
            Position(
                actor="The mayor",
                stance="Closes the bridge.",
                evidence=[Quote(text=quote, start=start, end=start + len(quote), verified=True)],
            )
        ],
    )
    assert [h.quote_id for h in highlights(briefing, cleaned)] == ["p0q0"]
    with pytest.raises(ValueError, match="clean_article"):
        briefing.to_html(raw)
    with pytest.raises(ValueError, match="outside an article of 10 characters"):
        briefing.to_html(cleaned[:10])


# --- 3. the page, read back --------------------------------------------------------------------


def marked(page: PageReader) -> set[int]:
    return covered([(int(m["data-start"]), int(m["data-end"])) for m in page.marks])


def quoted(briefing: Briefing, article: str) -> set[int]:
    """Characters of verified quotes; line breaks fall between paragraphs, never in a mark."""
    return {i for i in covered(verified_spans(briefing)) if article[i] != "\n"}


def test_every_mark_is_exactly_its_article_span_and_every_verified_quote_is_marked() -> None:
    briefing, article = seed_briefing(), seed_article()
    quotes = [q for p in briefing.positions for q in p.evidence]
    assert sum(q.verified for q in quotes) == len(quotes) - 1  # all but the invented one
    page = read_page(briefing.to_html(article))
    assert len(page.marks) >= len(quotes) - 1
    for mark in page.marks:
        assert mark["text"] == article[int(mark["data-start"]) : int(mark["data-end"])]
    assert marked(page) == quoted(briefing, article)
    # Each verified quote's id is on exactly the marks that make up its span.
    for i, position in enumerate(briefing.positions):
        for j, quote in enumerate(position.evidence):
            carrying = [m for m in page.marks if f"p{i}q{j}" in m["data-quotes"].split()]
            if not quote.verified:
                assert carrying == []
                continue
            assert quote.start is not None and quote.end is not None
            assert "".join(m["text"] for m in carrying) == quote.text
            assert int(carrying[0]["data-start"]) == quote.start
            assert int(carrying[-1]["data-end"]) == quote.end


def test_a_quote_across_a_line_break_is_marked_on_each_line() -> None:
    article = "Bridge to close\nThe council voted to close the bridge. Shops object."
    [quote] = ground_evidence(["Bridge to close The council voted"], ArticleIndex(article))
    assert quote.verified and (quote.start, quote.end) == (0, 33)
    briefing = Briefing(
        summary="s", positions=[Position(actor="The council", stance="x", evidence=[quote])]
    )
    page = read_page(briefing.to_html(article))
    assert [(m["text"], m["data-start"], m["data-end"]) for m in page.marks] == [
        ("Bridge to close", "0", "15"),
        ("The council voted", "16", "33"),
    ]
    assert page.paragraphs == article.split("\n")


def test_words_cited_by_two_actors_carry_both_and_are_striped() -> None:
    briefing, article = seed_briefing(), seed_article()
    page = read_page(briefing.to_html(article))
    shared = [m for m in page.marks if len(m["data-positions"].split()) > 1]
    assert [m["text"] for m in shared] == ["Macron’s plans to increase support for Ukraine"]
    mark = shared[0]
    assert mark["data-positions"] == "p1 p2" and mark["data-quotes"] == "p1q0 p2q1"
    assert mark["data-actor"] == "Vladimir Putin"  # the first holder names the piece
    assert mark["title"] == (
        "Vladimir Putin: Demands that all military aid to Kyiv stop.\n"
        "Emmanuel Macron: Rallies Europe to keep supporting Ukraine, whatever Trump says."
    )
    assert mark["style"] == (
        "background:repeating-linear-gradient(135deg,var(--a2) 0.00em 0.45em,"
        "var(--a0) 0.45em 0.90em)"
    )
    # Putin's sentence is cut around Macron's quote; the pieces outside it are Putin's alone.
    putin = [m["text"] for m in page.marks if m["data-positions"] == "p1"]
    assert putin == [PUTIN_SENTENCE.split("Macron’s")[0], "."]
    assert all(m["style"] == "background:var(--a2)" for m in page.marks if m["text"] in putin)


def test_the_article_is_rendered_whole_one_paragraph_per_line() -> None:
    article = seed_article()
    page = read_page(seed_briefing().to_html(article))
    assert page.paragraphs == article.split("\n")


def test_markup_in_the_article_and_the_briefing_is_shown_as_text() -> None:
    article = (
        'Headline <script>alert("article")</script>\n'
        "The council said <b>bold</b> & <i>the plan</i> is </p></div> final.\n"
        'A reader wrote "><img src=x onerror=alert(1)> in a comment. 🚧 Works start in May.'
    )
    index = ArticleIndex(article)
    evil = '"><script>alert("name")</script>'
    briefing = Briefing(
        title="</title><script>alert('title')</script>",
        summary="<em>Summary</em> & more",
        actors=[Actor(name=evil, aliases=["<b>alias</b>"], role="<u>role</u>")],
        positions=[
            Position(
                actor=evil,
                stance="<svg onload=alert(1)>stance",
                evidence=ground_evidence(
                    ["The council said <b>bold</b> & <i>the plan</i> is </p></div> final."], index
                ),
            ),
            Position(
                actor="<i>someone</i>",
                stance="x' onmouseover='alert(1)",
                evidence=ground_evidence(
                    ['"><img src=x onerror=alert(1)> in a comment. 🚧 Works start in May.'], index
                ),
            ),
            Position(
                actor=evil,
                stance="<b>unsupported</b>",
                evidence=ground_evidence(["<script>not in the article</script>"], index),
            ),
        ],
        open_questions=[OpenQuestion(question="<marquee>q</marquee>", why_open="<b>why</b>")],
    )
    assert briefing.verified_share == pytest.approx(2 / 3)
    text = briefing.to_html(article)
    page = read_page(text)
    # The only elements are the template's: one script (ours), no injected tag of any kind.
    assert [attrs for attrs, _ in page.scripts] == [{}]
    for tag in ("img", "svg", "i", "u", "em", "marquee"):
        assert tag not in page.tags, tag
    assert page.tags.count("b") == 2  # the template's: an actor's name, an unsupported claim
    assert "<script>alert" not in text and "<img" not in text and "onerror=alert(1)>" not in text
    assert "&lt;script&gt;alert(&#34;article&#34;)&lt;/script&gt;" in text
    assert "<title>&lt;/title&gt;&lt;script&gt;" in text
    # Still exact: marks hold the article's characters, markup and emoji included.
    assert len(page.marks) == 2
    for mark in page.marks:
        assert mark["text"] == article[int(mark["data-start"]) : int(mark["data-end"])]
    assert page.marks[0]["data-actor"] == evil
    assert page.marks[1]["title"] == "<i>someone</i>: x' onmouseover='alert(1)"
    assert page.paragraphs == article.split("\n")


def test_the_page_loads_nothing_and_runs_only_its_own_script() -> None:
    text = seed_briefing().to_html(seed_article())
    assert text.startswith("<!DOCTYPE html>")
    for value in re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", text, re.I):
        assert not value.lower().startswith(("http:", "https:", "//")), value
    assert "url(" not in text and "@import" not in text and "<link" not in text
    assert "<iframe" not in text and "<img" not in text
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert policy is not None
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    (attrs, script), *others = read_page(text).scripts
    assert others == [] and attrs == {}
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"


def test_positions_and_quotes_are_buttons_pointing_at_their_marks() -> None:
    page = read_page(seed_briefing().to_html(seed_article()))
    quote_ids = {q for m in page.marks for q in m["data-quotes"].split()}
    assert len(quote_ids) == 10  # every verified quote
    stances = [b for b in page.buttons if b.get("class") == "stance"]
    quotes = [b for b in page.buttons if b.get("class") == "quote"]
    assert len(stances) + len(quotes) == len(page.buttons)
    for button in page.buttons:
        assert button["type"] == "button"  # a real button: focusable, Enter and Space work
    assert {b["data-go"] for b in quotes} == quote_ids
    assert [b["id"] for b in quotes] == [b["data-go"] for b in quotes]
    # Grouped by actor (actors' order), each stance points at its position's first quote.
    assert [b["data-go"] for b in stances] == [
        "p2q0", "p0q0", "p1q0", "p5q0", "p4q0", "p3q0", "p6q0"
    ]  # fmt: skip


def test_positions_are_grouped_by_actor_and_unsupported_claims_kept_apart() -> None:
    text = seed_briefing().to_html(seed_article())
    positions, rest = text.split("<h2>Positions</h2>")[1].split("<h2>Open questions</h2>")
    groups = re.findall(r"<h3><span[^>]*></span>([^<]+)</h3>", positions)
    assert groups == [
        "Emmanuel Macron",
        "Donald Trump",
        "Vladimir Putin",
        "Volodymyr Zelenskyy",
        "Keir Starmer",
        "Sophie Primas",
        "Eric Lombard",
    ]
    assert "Mette Frederiksen" not in positions
    unsupported = rest.split("<h2>Unsupported claims</h2>")[1]
    assert "<b>Mette Frederiksen</b>: Wants Denmark to lead the peacekeeping force." in unsupported
    assert "<s>Denmark will lead any European force in Ukraine</s>" in unsupported
    legend = re.search(r'<div class="legend">(.*?)</div>', text, re.S)
    assert legend is not None
    assert "Mette Frederiksen" not in legend.group(1)  # nothing of hers is highlighted
    assert "Emmanuel Macron" in legend.group(1)
    assert "cited by several actors" in legend.group(1)


def footer_of(page: str) -> str:
    footer = re.search(r'<footer class="foot">(.*?)</footer>', page, re.S)
    assert footer is not None
    return " ".join(html.unescape(footer.group(1)).split())


def test_the_footer_gives_usage_and_the_shares_of_quotes_verified_and_sentences_cited() -> None:
    briefing, article = seed_briefing(), seed_article()
    total = len(split_sentences(article))
    assert cited_sentences(article, highlights(briefing, article)) == (9, total)
    assert footer_of(briefing.to_html(article)) == (
        "hand-written example · 1 call · 2157+812 tokens · 41.3s · "
        f"91% of quotes verified · 9 of {total} sentences of the article cited "
        f"({100 * 9 / total:.0f}%)"
    )
    bare = Briefing(summary="Nothing.").to_html("Just one sentence here.")
    assert (
        footer_of(bare) == "no model calls · no quotes · 0 of 1 sentences of the article cited (0%)"
    )
    assert "(no position with evidence found in the article)" in bare
    assert "No verified quote to highlight." in bare


def test_to_html_is_briefing_to_html_and_takes_a_subtitle_and_a_back_link() -> None:
    briefing, article = seed_briefing(), seed_article()
    assert briefing.to_html(article) == briefing_to_html(briefing, article)
    linked = briefing_to_html(briefing, article, subtitle="Reference", back_link=("../r.html", "R"))
    assert '<a class="back" href="../r.html">← R</a>' in linked
    assert '<p class="subtitle">Reference</p>' in linked


# --- 4. the CLI --------------------------------------------------------------------------------


def seed_as_html_page() -> str:
    """The seed as a web page: navigation, a script, entities and a paragraph per line."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines[2:] if line.strip())
    return (
        "<!DOCTYPE html><html><head><title>Seed</title><script>var x = '<p>no</p>';</script>"
        "</head><body><nav><a href='/'>Home</a> &middot; <a href='/world'>World</a></nav>"
        f"<article><h1>{html.escape(lines[0])}</h1>\n{paragraphs}</article>"
        "<footer>&copy; 2025</footer></body></html>"
    )


def marks_match(page_path: Path, article: str) -> list[dict[str, Any]]:
    page = read_page(page_path.read_text(encoding="utf-8"))
    for mark in page.marks:
        assert mark["text"] == article[int(mark["data-start"]) : int(mark["data-end"])]
    return page.marks


def test_cli_brief_html_of_a_web_page_highlights_the_cleaned_article(
    fake: FakeModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "seed.html"
    source.write_text(seed_as_html_page(), encoding="utf-8")
    out = tmp_path / "brief.html"
    code, stdout, err = run(["brief", str(source), "--format", "html", "--out", str(out)], capsys)
    assert code == 0, err
    assert stdout == "" and f"wrote {out}" in err
    article = clean_article(source.read_bytes())
    [mark] = marks_match(out, article)
    assert mark["text"] == QUOTE
    raw = source.read_text(encoding="utf-8")
    # The raw page's offsets are elsewhere: the CLI must have used the cleaned text.
    assert raw[int(mark["data-start"]) : int(mark["data-end"])] != QUOTE
    assert len(fake.history) == 1


def test_cli_brief_html_of_a_long_article_keeps_article_wide_offsets_across_parts(
    fake: FakeModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Filler first, so the quote sits deep in a later part of the article.
    filler = "\n".join(
        f"Paragraph {i} of the background says nothing new about the council and its budget, "
        f"and it repeats that the numbers for year {1990 + i} were unremarkable in every way."
        for i in range(240)
    )
    source = tmp_path / "long.md"
    source.write_text(f"# A long story\n\n{filler}\n\n{SEED.read_text()}", encoding="utf-8")
    code, stdout, err = run(["brief", str(source), "--format", "html", "-q"], capsys)
    assert code == 0, err
    assert len(fake.history) > 1  # the article was briefed in parts
    out = tmp_path / "page.html"
    out.write_text(stdout, encoding="utf-8")
    article = clean_article(source.read_bytes())
    [mark] = marks_match(out, article)
    assert mark["text"] == QUOTE
    assert int(mark["data-start"]) > len(filler)


def test_cli_brief_format_names_html_among_the_choices(
    fake: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["brief", str(SEED), "--format", "pdf"], capsys)
    assert code == 2
    assert "--format must be markdown, json or html, not 'pdf'" in err
    assert out == "" and fake.history == []


# --- 5. the eval report's drill-down ------------------------------------------------------------


def test_the_eval_report_links_each_case_to_its_predicted_and_reference_pages(
    tmp_path: Path,
) -> None:
    dataset = load_dataset(write_dataset(tmp_path / "mini"))
    results = evaluate(dataset, answering(dataset))
    out = tmp_path / "out"
    write_reports(results, out, dataset)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert render_html(results, dataset) == report
    for case in dataset.cases:
        result = results.case(case.id)
        assert result is not None and result.briefing is not None
        article = clean_article(case.article_text)
        for kind in ("predicted", "reference"):
            path = f"cases/{case.id}.{kind}.html"
            assert f"<a href='{path}'>{kind}</a>" in report
            page = (out / path).read_text(encoding="utf-8")
            assert f'href="../report.html#{case.id}"' in page
            marks = marks_match(out / path, article)
            evidence = (
                [q for p in result.briefing.positions for q in p.evidence]
                if kind == "predicted"
                else [e for p in case.reference.positions for e in p.evidence]
            )
            # The reference's spans are located in the article: every one is highlighted.
            marked_text = " ".join(m["text"] for m in marks)
            for quote in evidence:
                assert (quote if isinstance(quote, str) else quote.text) in marked_text
        assert "Reference (hand-labelled)" in (out / f"cases/{case.id}.reference.html").read_text()
    # Without the dataset there are no articles: no links and no pages.
    assert "cases/" not in render_html(results)
    write_reports(results, tmp_path / "bare")
    assert not (tmp_path / "bare" / "cases").exists()


def test_a_reference_page_places_a_bridge_quote_at_its_offsets(tmp_path: Path) -> None:
    dataset = load_dataset(write_dataset(tmp_path / "mini"))
    results = evaluate(dataset, answering(dataset))
    write_reports(results, tmp_path / "out", dataset)
    page = tmp_path / "out" / "cases" / f"{CASE_IDS[1]}.reference.html"
    marks = marks_match(page, clean_article(BRIDGE_ARTICLE))
    quote = "Every week we wait, the repair bill grows"
    [mark] = [m for m in marks if m["text"] == quote]
    assert int(mark["data-start"]) == BRIDGE_ARTICLE.index(quote)


# --- 6. the page in headless Chromium ------------------------------------------------------------

# Run by the wrapper page on the briefing page in its frame, once the frame has loaded.
CHECK_SCRIPT = """
function check(frame) {
  const doc = frame.contentDocument;
  const article = Array.from(JSON.parse(document.getElementById("article").textContent));
  const marks = [...doc.querySelectorAll("mark")];
  const wrong = marks
    .filter((m) => m.textContent !== article.slice(+m.dataset.start, +m.dataset.end).join(""))
    .map((m) => m.dataset.start);
  const box = (selector) => {
    const r = doc.querySelector(selector).getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width };
  };
  const button = doc.querySelector("button.quote[data-go='p1q0']");
  if (button) button.click();
  const result = {
    width: frame.contentWindow.innerWidth,
    marks: marks.length,
    wrong,
    briefing: box(".briefing"),
    article: box(".article"),
    flashed: [...doc.querySelectorAll("mark.flash")].map((m) => m.dataset.quotes),
    focused: doc.activeElement.tagName + " " + (doc.activeElement.dataset.quotes || ""),
    injected: doc.body.dataset.injected || "blocked",
  };
  const out = document.createElement("pre");
  out.id = "check";
  out.textContent = JSON.stringify(result);
  document.body.append(out);
}
"""
# Put into the briefing page, without its hash in the page's policy: it must not run.
INJECTED_SCRIPT = 'document.body.dataset.injected = "ran";'


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )


def checked_in_chromium(tmp_path: Path, page: str, article: str, width: int) -> dict[str, Any]:
    """``page`` loaded in a frame ``width`` pixels wide, checked by ``CHECK_SCRIPT``.

    A frame, because headless Chromium will not make its window narrower than 500 pixels.
    """
    page = page.replace("</body>", f"<script>{INJECTED_SCRIPT}</script></body>")
    wrapper = (
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<pre id="article">{html.escape(json.dumps(article))}</pre>'
        f"<script>{CHECK_SCRIPT}</script>"
        f'<iframe style="border:0;width:{width}px;height:900px" onload="check(this)" '
        f'srcdoc="{html.escape(page)}"></iframe></body></html>'
    )
    path = tmp_path / f"check-{width}.html"
    path.write_text(wrapper, encoding="utf-8")
    done = chromium(tmp_path, "--dump-dom", f"--window-size={width + 40},1000", path.as_uri())
    found = re.search(r'<pre id="check">(.*?)</pre>', done.stdout.decode())
    assert found, done.stderr.decode(errors="replace")[-2000:]
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


@needs_chromium
def test_in_chromium_every_mark_is_its_span_and_a_quote_button_flashes_its_marks(
    tmp_path: Path,
) -> None:
    briefing, article = seed_briefing(), seed_article()
    result = checked_in_chromium(tmp_path, briefing.to_html(article), article, 1280)
    assert result["width"] == 1280
    assert result["marks"] == len(read_page(briefing.to_html(article)).marks) > 0
    assert result["wrong"] == []
    # Clicking Putin's quote flashes every piece of it, the shared one included, and focuses it.
    assert result["flashed"] == ["p1q0", "p1q0 p2q1", "p1q0"]
    assert result["focused"] == "MARK p1q0"
    assert result["injected"] == "blocked"  # the page's policy runs no script but its own
    # Desktop: two columns side by side.
    assert result["article"]["left"] >= result["briefing"]["left"] + result["briefing"]["width"]
    assert result["article"]["top"] == result["briefing"]["top"]


@needs_chromium
def test_in_chromium_a_phone_gets_one_column_and_marks_with_emoji_still_match(
    tmp_path: Path,
) -> None:
    article = (
        "Zoning 🚧 fight\nThe mayor 🏛️ said the plan is dead. "
        "Residents 👪 said they will appeal the ruling."
    )
    index = ArticleIndex(article)
    briefing = Briefing(
        summary="s",
        actors=[Actor(name="The mayor"), Actor(name="Residents")],
        positions=[
            Position(actor="Residents", stance="a", evidence=ground_evidence(["x"], index)),
            Position(
                actor="The mayor",
                stance="Declares the plan dead.",
                evidence=ground_evidence(["The mayor 🏛️ said the plan is dead."], index),
            ),
            Position(
                actor="Residents",
                stance="Will appeal.",
                evidence=ground_evidence(["Residents 👪 said they will appeal"], index),
            ),
        ],
    )
    assert briefing.verified_share == pytest.approx(2 / 3)
    result = checked_in_chromium(tmp_path, briefing.to_html(article), article, 390)
    assert result["width"] == 390
    assert result["marks"] == 2 and result["wrong"] == []
    assert result["flashed"] == ["p1q0"] and result["focused"] == "MARK p1q0"
    assert result["injected"] == "blocked"
    # Phone: one column, the article below the briefing.
    assert result["article"]["top"] > result["briefing"]["top"]
    assert result["article"]["left"] == result["briefing"]["left"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@needs_chromium
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_screenshots_of_the_seed_page_at_desktop_and_phone_widths(
    tmp_path: Path, width: int, height: int
) -> None:
    page = tmp_path / "seed.html"
    page.write_text(seed_briefing().to_html(seed_article()), encoding="utf-8")
    png = tmp_path / f"seed-{width}.png"
    done = chromium(
        tmp_path, f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri()
    )
    assert png.is_file(), done.stderr.decode(errors="replace")[-2000:]
    data = png.read_bytes()
    assert png_size(data) == (width, height)
    # A blank or broken page compresses to a few kilobytes; text and highlights do not.
    assert len(data) > 40_000, len(data)
    shutil.copyfile(png, f"/tmp/briefing-{width}.png")  # for a person to look at
