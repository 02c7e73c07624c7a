"""Where a briefing's article came from (``Briefing.source``): in JSON, Markdown and the page.

The field is optional with a None default, so briefings written before it still validate, and
consumers of the JSON Schema see nothing new required.
"""

from __future__ import annotations

import datetime as dt
import json

from summarize import Settings, brief
from summarize.schema import Briefing, DraftActor, DraftBriefing, Source
from summarize.testing import FakeModel

ARTICLE = "The council voted on Tuesday to reject the tower. Residents had argued against it."
PAGE = (
    "<html><head><title>Tower rejected | The Daily</title>"
    '<meta name="author" content="Jane Roe">'
    '<meta property="article:published_time" content="2025-03-04"></head><body>'
    "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
    f"<article><h1>Tower rejected</h1><p>{ARTICLE}</p><p>{ARTICLE.upper()}</p></article>"
    "</body></html>"
)
SOURCE = Source(
    url="https://news.example/tower_plan?id=1",
    title="Tower rejected",
    date=dt.date(2025, 3, 4),
    author="Jane Roe",
)


def draft() -> DraftBriefing:
    return DraftBriefing(
        summary="The tower was rejected.",
        actors=[DraftActor(name="The council", aliases=[], kind="organization", role="")],
        positions=[],
        open_questions=[],
    )


def test_a_briefing_written_before_the_source_field_still_validates() -> None:
    old = {"title": None, "summary": "s", "actors": [], "positions": [], "open_questions": []}
    assert Briefing.model_validate(old).source is None
    schema = Briefing.json_schema()
    assert "source" in schema["properties"] and "source" not in schema.get("required", [])


def test_the_source_round_trips_through_json_with_an_iso_date() -> None:
    briefing = Briefing(title="Tower rejected", summary="s", source=SOURCE)
    data = json.loads(briefing.model_dump_json())
    assert data["source"] == {
        "url": "https://news.example/tower_plan?id=1",
        "title": "Tower rejected",
        "date": "2025-03-04",
        "author": "Jane Roe",
    }
    assert Briefing.model_validate(data).source == SOURCE


def test_an_html_page_gives_the_briefing_its_title_and_source_and_the_model_its_title() -> None:
    model = FakeModel(default=draft())
    briefing = brief(PAGE, model=model, config=Settings(strategy="single"))
    assert briefing.title == "Tower rejected"
    assert briefing.source == Source(
        title="Tower rejected", date=dt.date(2025, 3, 4), author="Jane Roe"
    )
    assert "Title: Tower rejected" in model.history[0].messages[-1]["content"]


def test_a_title_given_wins_over_the_pages_and_plain_text_has_no_source() -> None:
    model = FakeModel(default=draft())
    given = brief(PAGE, title="My title", model=model, config=Settings(strategy="single"))
    assert given.title == "My title" and given.source is not None
    assert given.source.title == "Tower rejected"  # what the page says is kept as it says it
    plain = brief(ARTICLE, model=model, config=Settings(strategy="single"))
    assert plain.title is None and plain.source is None


def test_markdown_shows_author_date_and_url_under_the_title() -> None:
    markdown = Briefing(title="Tower rejected", summary="s", source=SOURCE).to_markdown()
    assert markdown.startswith(
        "# Tower rejected\n\n*Jane Roe · 2025-03-04 · <https://news.example/tower_plan?id=1>*\n\n"
    )
    assert "Jane Roe" not in Briefing(title="T", summary="s").to_markdown()
    dateless = Briefing(summary="s", source=Source(author="Jane Roe")).to_markdown()
    assert dateless.startswith("# Briefing\n\n*Jane Roe*\n\n")


def test_the_page_shows_the_byline_and_links_only_web_addresses() -> None:
    page = Briefing(title="Tower rejected", summary="s", source=SOURCE).to_html(ARTICLE)
    assert (
        '<p class="byline">Jane Roe · 2025-03-04 · <a href="https://news.example/tower_plan?id=1"'
        ' rel="noopener noreferrer">https://news.example/tower_plan?id=1</a></p>'
    ) in page
    hostile = Source(url="javascript:alert(1)", author='<b>"Eve"</b>')
    page = Briefing(summary="s", source=hostile).to_html(ARTICLE)
    assert '<p class="byline">&lt;b&gt;&#34;Eve&#34;&lt;/b&gt; · javascript:alert(1)</p>' in page
    assert 'href="javascript' not in page
    assert 'class="byline"' not in Briefing(summary="s").to_html(ARTICLE)
