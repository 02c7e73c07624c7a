"""End-to-end: the seed article briefed by the real embedded model (slow; -m local_model)."""

from __future__ import annotations

import pytest

from summarize import Briefing, brief
from summarize.config import load_settings
from summarize.names import names_match

pytestmark = pytest.mark.local_model


@pytest.fixture(scope="module")
def seed_briefing(seed_text: str) -> Briefing:
    return brief(seed_text, model="local", config=load_settings())


def test_the_seed_briefing_is_valid(seed_briefing: Briefing) -> None:
    again = Briefing.model_validate_json(seed_briefing.model_dump_json())
    assert again == seed_briefing
    assert len(seed_briefing.summary.split()) >= 20
    assert seed_briefing.positions, "no positions"
    assert seed_briefing.open_questions, "no open questions"
    assert seed_briefing.usage.calls >= 1
    assert seed_briefing.usage.completion_tokens > 100


@pytest.mark.parametrize(
    "who", ["Emmanuel Macron", "Donald Trump", "Vladimir Putin", "Volodymyr Zelenskyy"]
)
def test_the_main_actors_are_found(seed_briefing: Briefing, who: str) -> None:
    variants = {"Volodymyr Zelenskyy": ["Zelensky", "Zelenskiy", "Zelenskyy"]}.get(who, [])
    assert any(
        names_match(actor.name, actor.aliases, who, variants) for actor in seed_briefing.actors
    ), f"{who} missing from {[a.name for a in seed_briefing.actors]}"


def test_every_verified_quote_really_occurs(seed_briefing: Briefing, seed_text: str) -> None:
    verified = [q for p in seed_briefing.positions for q in p.evidence if q.verified]
    assert verified, "no quote could be verified"
    for quote in verified:
        assert quote.start is not None and quote.end is not None
        span = seed_text[quote.start : quote.end]
        assert span == quote.text
