"""The pipeline end to end on a FakeModel with the ``single`` strategy (one call per part):
chunking, re-asks, merging, grounding, rendering. The ``passes`` strategy: test_passes.py."""

from __future__ import annotations

import re

import pytest

from summarize import InputError, InvalidOutputError, Settings, abrief, brief
from summarize.chunking import count_tokens, get_encoding
from summarize.config import load_settings
from summarize.finish import echoes_prompt
from summarize.models import CompletionRequest
from summarize.pipeline import Pipeline, Progress
from summarize.prompts import EXAMPLES, Prompts
from summarize.schema import DraftActor, DraftBriefing, DraftOpenQuestion, DraftPosition
from summarize.testing import FakeModel

REAL = (
    "Macron proposed deploying European peacekeeping forces behind the future demarcation line, "
    "rather than directly on it."
)
FAKE = "Macron said France will send 300,000 soldiers to Moscow next week."


def seed_draft(evidence: list[str]) -> DraftBriefing:
    return DraftBriefing(
        summary="Macron leads European support for Ukraine while Trump seeks a quick ceasefire.",
        actors=[
            DraftActor(
                name="Emmanuel Macron",
                aliases=["Macron"],
                kind="person",
                role="President of France",
            ),
            DraftActor(name="Donald Trump", aliases=["Trump"], kind="person", role="US President"),
        ],
        positions=[
            DraftPosition(
                actor="Macron", evidence=evidence, stance="Proposes peacekeepers behind the line."
            ),
        ],
        open_questions=[
            DraftOpenQuestion(question="Will a ceasefire hold?", why_open="Talks go on.")
        ],
    )


def settings() -> Settings:
    return load_settings(strategy="single")


def test_an_article_that_fits_takes_one_call(seed_text: str) -> None:
    model = FakeModel(seed_draft([REAL]))
    briefing = brief(seed_text, model=model, config=settings(), title="Macron and Trump")
    assert len(model.history) == 1
    request = model.history[0]
    assert request.schema is not None and request.schema["additionalProperties"] is False
    assert "<article>" in request.messages[1]["content"]
    assert "demarcation line" in request.messages[1]["content"]
    # The checklist of names beside the article reaches people mentioned only at its end.
    names = request.messages[1]["content"].split("</article>")[1]
    assert "Donald Trump; Emmanuel Macron;" in names and "Volodymyr Zelenskyy" in names
    assert briefing.title == "Macron and Trump"
    # The model's actors, then the countries the seed makes act ("the US has already once cut
    # off arms", "France cannot increase its public debt"), added by finish.
    assert [a.name for a in briefing.actors][:3] == [
        "Emmanuel Macron",
        "Donald Trump",
        "United States",
    ]
    assert {a.kind for a in briefing.actors[2:]} == {"country"}
    assert briefing.positions[0].actor == "Emmanuel Macron"  # alias resolved to the actor
    assert briefing.usage.calls == 1 and briefing.usage.model == "fake-model"
    assert briefing.usage.prompt_tokens > 0 and briefing.usage.completion_tokens > 0


def test_quotes_are_grounded_with_offsets(seed_text: str) -> None:
    briefing = brief(seed_text, model=FakeModel(seed_draft([REAL, FAKE])), config=settings())
    real, fake = briefing.positions[0].evidence
    assert real.verified and real.start is not None and real.end is not None
    assert seed_text[real.start : real.end] == REAL
    assert not fake.verified and fake.start is None
    assert briefing.verified_share == 0.5


def test_markdown_never_shows_an_unverified_quote(seed_text: str) -> None:
    markdown = brief(
        seed_text, model=FakeModel(seed_draft([REAL, FAKE])), config=settings()
    ).to_markdown()
    assert REAL in markdown
    assert "300,000" not in markdown
    only_fake = brief(
        seed_text, model=FakeModel(seed_draft([FAKE])), config=settings()
    ).to_markdown()
    assert "300,000" not in only_fake
    assert "## Unsupported claims" in only_fake
    assert "Proposes peacekeepers behind the line." in only_fake.split("## Unsupported claims")[1]


def test_invalid_output_is_reasked_and_counted(seed_text: str) -> None:
    model = FakeModel('{"summary": 3}', seed_draft([REAL]))
    briefing = brief(seed_text, model=model, config=settings())
    assert len(model.history) == 2
    assert briefing.usage.calls == 2
    assert "summary" in model.history[1].messages[-1]["content"]


def test_output_that_never_validates_raises_with_data(seed_text: str) -> None:
    model = FakeModel(default="I am not JSON")
    with pytest.raises(InvalidOutputError) as info:
        brief(seed_text, model=model, config=settings())
    assert info.value.attempts == 3
    assert info.value.last_output == "I am not JSON"


def test_small_model_slips_are_repaired(seed_text: str) -> None:
    sloppy = {
        "summary": "S.",
        "actors": [{"name": "Kyiv", "kind": "Nation", "aliases": "Ukraine"}],
        "positions": [{"actor": "Kyiv", "stance": "Wants NATO.", "evidence": REAL}],
        "open_questions": ["What next?"],
    }
    briefing = brief(seed_text, model=FakeModel(sloppy), config=settings())
    assert briefing.actors[0].kind == "country"
    assert briefing.actors[0].aliases == ["Ukraine"]
    assert briefing.positions[0].evidence[0].verified
    assert briefing.open_questions[0].question == "What next?"


@pytest.mark.parametrize("bad", ["", "   \n\t ", b"\x00\x01\x02binary\x00"])
def test_bad_input_is_a_clear_error(bad: str | bytes) -> None:
    model = FakeModel()
    with pytest.raises(InputError):
        brief(bad, model=model, config=settings())
    assert model.history == []


def long_article(seed_text: str, copies: int = 5) -> str:
    paragraphs = [p for p in seed_text.split("\n") if p.strip()]
    return "\n\n".join(f"{p} (Part {i}.)" for i in range(copies) for p in paragraphs)


def chunk_reply(request: CompletionRequest) -> DraftBriefing:
    """Quote the first sentence of whatever chunk we are shown, as a grounded model would."""
    article = re.search(r"<article>\n(.*)\n</article>", request.messages[1]["content"], re.S)
    assert article is not None
    first = re.split(r"(?<=[.!?])\s", article.group(1).strip())[0]
    return seed_draft([first])


def test_an_article_several_times_the_window_is_chunked_and_merged(seed_text: str) -> None:
    article = long_article(seed_text)
    model = FakeModel(context_window=2048, max_output_tokens=256, default=chunk_reply)
    pipeline = Pipeline(model, settings=settings())
    budget = pipeline.chunk_budget(None)
    encoding = get_encoding("fake-model")
    assert count_tokens(article, encoding) > 3 * 2048
    steps: list[Progress] = []
    briefing = pipeline.run(article, on_progress=steps.append)
    calls = len(model.history)
    assert calls >= 4
    assert [s.done for s in steps] == list(range(1, calls + 1))
    assert all(s.total == calls for s in steps)
    for request in model.history:
        shown = re.search(r"<article>\n(.*)\n</article>", request.messages[1]["content"], re.S)
        assert shown is not None and count_tokens(shown.group(1), encoding) <= budget
        assert f"of {calls}" in request.messages[0]["content"]
        # The whole prompt, names checklist included, leaves the output reserve free.
        prompt = sum(count_tokens(m["content"], encoding) + 8 for m in request.messages)
        assert prompt + 256 <= 2048
    # Merged: one actor per person, one position per distinct stance, evidence from each chunk.
    assert [a.name for a in briefing.actors if a.kind != "country"] == [
        "Emmanuel Macron",
        "Donald Trump",
    ]
    assert len(briefing.positions) == 1
    quotes = briefing.positions[0].evidence
    assert len(quotes) == calls
    assert all(q.verified for q in quotes)
    assert all(article[q.start : q.end] == q.text for q in quotes if q.start is not None)
    assert briefing.usage.calls == calls


def test_model_merge_makes_one_more_call(seed_text: str) -> None:
    article = long_article(seed_text, copies=3)
    model = FakeModel(context_window=2048, max_output_tokens=256, default=chunk_reply)
    merged = seed_draft([REAL])
    calls_before_merge: list[int] = []

    def reply(request: CompletionRequest) -> DraftBriefing:
        if "<partial_briefings>" in request.messages[1]["content"]:
            calls_before_merge.append(len(model.history))
            return merged
        return chunk_reply(request)

    model.default = reply
    briefing = brief(article, model=model, config=load_settings(merge="model", strategy="single"))
    assert calls_before_merge == [len(model.history)]
    assert briefing.usage.calls == len(model.history)
    assert briefing.positions[0].evidence[0].text == REAL


async def test_abrief_briefs_chunks_concurrently(seed_text: str) -> None:
    article = long_article(seed_text, copies=3)
    sync_model = FakeModel(context_window=2048, max_output_tokens=256, default=chunk_reply)
    async_model = FakeModel(context_window=2048, max_output_tokens=256, default=chunk_reply)
    expected = brief(article, model=sync_model, config=settings())
    got = await abrief(article, model=async_model, config=settings())
    assert len(async_model.history) == len(sync_model.history) > 1
    assert got.model_dump(exclude={"usage"}) == expected.model_dump(exclude={"usage"})


def test_a_window_too_small_for_the_prompt_is_a_config_error(seed_text: str) -> None:
    from summarize import ConfigError

    with pytest.raises(ConfigError, match="leaves no room"):
        brief(
            seed_text, model=FakeModel(context_window=600, max_output_tokens=256), config=settings()
        )


def test_evidence_is_limited_to_the_articles_sentences_where_schemas_are_enforced(
    seed_text: str,
) -> None:
    model = FakeModel(seed_draft([REAL]))
    brief(seed_text, model=model, config=settings())
    schema = model.history[0].schema
    assert schema is not None
    evidence = schema["properties"]["positions"]["items"]["properties"]["evidence"]["items"]
    assert any(REAL in sentence for sentence in evidence["enum"]) and len(evidence["enum"]) > 20
    assert all(sentence in seed_text for sentence in evidence["enum"])


@pytest.mark.parametrize(
    ("structured_output", "evidence"),
    [("json_object", "sentences"), ("none", "sentences"), ("json_schema", "free")],
)
def test_free_quotes_where_no_schema_is_enforced_or_when_configured(
    seed_text: str, structured_output: str, evidence: str
) -> None:
    model = FakeModel(seed_draft([REAL]), structured_output=structured_output)  # type: ignore[arg-type]
    brief(seed_text, model=model, config=Settings(evidence=evidence, strategy="single"))  # type: ignore[arg-type]
    schema = model.history[0].schema
    assert schema is not None
    items = schema["properties"]["positions"]["items"]["properties"]["evidence"]["items"]
    assert "enum" not in items


def test_stances_and_roles_copied_from_the_prompts_examples_are_dropped(seed_text: str) -> None:
    stance, role = EXAMPLES["stance"], EXAMPLES["role"]
    # The prompt shows them, from the same constants.
    system = Prompts().brief_messages("", schema={})[0]["content"]
    assert f'"{stance}"' in system and f'"{role}"' in system
    draft = seed_draft([REAL])
    draft.positions.append(
        DraftPosition(actor="Donald Trump", evidence=[REAL], stance=stance.rstrip(".") + "!")
    )
    draft.actors[1].role = role
    briefing = brief(seed_text, model=FakeModel(draft), config=settings())
    assert [p.stance for p in briefing.positions] == ["Proposes peacekeepers behind the line."]
    assert [a.role for a in briefing.actors][:2] == ["President of France", ""]
    # The same words are kept where the article itself says them.
    article = seed_text + "\n\nThe mayor said: " + stance
    assert not echoes_prompt(stance, article)
    assert echoes_prompt(stance, seed_text)


def test_stances_that_share_one_quote_keep_only_the_one_it_supports(seed_text: str) -> None:
    draft = seed_draft([REAL])
    draft.positions = [
        DraftPosition(actor="Macron", evidence=[REAL], stance="Wants stronger European unity."),
        DraftPosition(
            actor="Macron",
            evidence=[REAL],
            stance="Proposes European peacekeeping forces behind the demarcation line.",
        ),
        DraftPosition(actor="Donald Trump", evidence=[REAL], stance="Wants a quick ceasefire."),
        DraftPosition(actor="Macron", evidence=[FAKE], stance="Wants more troops in Moscow."),
        DraftPosition(actor="Macron", evidence=[FAKE], stance="Wants an unverified thing."),
    ]
    briefing = brief(seed_text, model=FakeModel(draft), config=settings())
    assert [(p.actor, p.stance) for p in briefing.positions] == [
        ("Emmanuel Macron", "Proposes European peacekeeping forces behind the demarcation line."),
        ("Donald Trump", "Wants a quick ceasefire."),  # another actor: kept
        # Unverified quotes are not grouped (the Markdown lists them apart, unsupported).
        ("Emmanuel Macron", "Wants more troops in Moscow."),
        ("Emmanuel Macron", "Wants an unverified thing."),
    ]
