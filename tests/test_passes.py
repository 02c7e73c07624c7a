"""The ``passes`` strategy on a FakeModel: which calls are made, what each is shown, how the
answers become a briefing, and what a failing call costs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from summarize import PermanentModelError, Settings, brief
from summarize.config import load_settings
from summarize.errors import SummarizeError
from summarize.models import Completion, CompletionRequest
from summarize.passes import questions, summary
from summarize.pipeline import Pipeline, Progress
from summarize.testing import FakeModel

ARTICLE = """Bridge vote splits Eastport council

Mayor Ana Silva said on Monday that the city will build a new bridge over the river by 2027.
"We cannot wait another decade for a crossing," Silva told reporters at city hall.
Council member Tom Reyes rejected the plan. Reyes said it would cost too much to borrow.
The river is 200 metres wide at the old ferry landing.
The council will vote on the budget on March 3.
"""

ACTORS = {
    "actors": [
        {"name": "Ana Silva", "aliases": ["Silva"], "kind": "person", "role": "Mayor of Eastport"},
        {"name": "Tom Reyes", "aliases": ["Reyes"], "kind": "person", "role": "Council member"},
        {"name": "Eastport", "aliases": [], "kind": "other", "role": "The city"},
    ]
}
QUESTIONS = {
    "open_questions": [
        {"question": "Will the council approve Silva's budget on March 3?", "why_open": "Vote."},
        {"question": "How would Eastport borrow for the bridge?", "why_open": "Not said."},
        {"question": "Can a bridge be finished by 2027?", "why_open": "No plan yet."},
        {"question": "Will Reyes vote against the bridge?", "why_open": "Not said."},
    ]
}
SUMMARY = {"summary": "Eastport's mayor wants a bridge by 2027. A council member objects."}


def numbered(request: CompletionRequest) -> list[str]:
    """The candidate sentences a positions call shows, in their numbered order."""
    return re.findall(r"^\[\d+\] (.*)$", request.messages[-1]["content"], re.M)


def reply(request: CompletionRequest) -> Any:
    if request.schema_name == "actors":
        return ACTORS
    if request.schema_name == "positions":
        actor = re.search(r"what does (.+?)(?: \(.*?\))? want", request.messages[2]["content"])
        assert actor is not None
        return {"positions": [{"evidence": [1], "stance": f"{actor.group(1)} has a view."}]}
    if request.schema_name == "questions":
        return QUESTIONS
    if request.schema_name == "summary":
        return SUMMARY
    raise AssertionError(request.schema_name)


def settings(**overrides: Any) -> Settings:
    return load_settings(strategy="passes", **overrides)


def test_passes_is_the_default_strategy() -> None:
    assert Pipeline(FakeModel(), settings=load_settings()).strategy.name == "passes"


def test_every_pass_starts_with_the_same_system_text_and_article_block() -> None:
    model = FakeModel(default=reply)
    brief(ARTICLE, model=model, config=settings())
    kinds = sorted(r.schema_name for r in model.history)
    assert kinds == ["actors", "positions", "positions", "questions", "summary"]
    prefix = model.history[0].messages[:2]
    assert "<article>" in prefix[1]["content"] and "Ana Silva" in prefix[1]["content"]
    for request in model.history:
        assert request.messages[:2] == prefix
        assert request.shared_prefix == 2 and len(request.messages) == 3


def test_positions_are_asked_only_for_actors_with_sentences_and_cite_them_verbatim() -> None:
    model = FakeModel(default=reply)
    briefing = brief(ARTICLE, model=model, config=settings())
    article = ARTICLE.strip()
    asked = [r for r in model.history if r.schema_name == "positions"]
    # Eastport says nothing: no call for it.
    assert sorted(
        re.findall(
            r"what does (.+?)(?: \(.*?\))? want", " ".join(r.messages[-1]["content"] for r in asked)
        )
    ) == ["Ana Silva", "Tom Reyes"]
    for request in asked:
        shown = numbered(request)
        assert shown and all(s in article for s in shown)
        # The schema makes a citation one of the numbers shown.
        items = request.schema["properties"]["positions"]["items"]["properties"]["evidence"]  # type: ignore[index]
        assert items["items"]["enum"] == list(range(1, len(shown) + 1))
    by_actor = {p.actor: p for p in briefing.positions}
    assert set(by_actor) == {"Ana Silva", "Tom Reyes"}
    for position in briefing.positions:
        (quote,) = position.evidence
        assert quote.verified and quote.start is not None and quote.end is not None
        assert briefing_article(ARTICLE)[quote.start : quote.end] == quote.text
    silva = by_actor["Ana Silva"].evidence[0].text
    assert "Silva" in silva and "Reyes" not in silva
    assert "Reyes" in by_actor["Tom Reyes"].evidence[0].text


def briefing_article(text: str) -> str:
    from summarize.text import clean_article

    return clean_article(text)


def test_a_citation_out_of_range_is_asked_again() -> None:
    bad = {"positions": [{"evidence": [40], "stance": "Wants a bridge."}]}
    answers: dict[str, list[Any]] = {"Ana Silva": [bad], "Tom Reyes": []}

    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "positions":
            actor = re.search(r"what does (.+?)(?: \(.*?\))? want", request.messages[2]["content"])
            queued = answers[actor.group(1)] if actor else []
            if queued:
                return queued.pop(0)
        return reply(request)

    model = FakeModel(default=answer)
    briefing = brief(ARTICLE, model=model, config=settings())
    reasked = [r for r in model.history if r.schema_name == "positions" and len(r.messages) > 3]
    assert len(reasked) == 1 and "numbered 1 to" in reasked[0].messages[-1]["content"]
    assert {p.actor for p in briefing.positions} == {"Ana Silva", "Tom Reyes"}


def test_a_positions_call_that_never_validates_costs_that_actor_only() -> None:
    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "positions" and "Tom Reyes" in request.messages[2]["content"]:
            return "not json at all"
        return reply(request)

    model = FakeModel(default=answer)
    briefing = brief(ARTICLE, model=model, config=settings())
    assert [p.actor for p in briefing.positions] == ["Ana Silva"]
    assert [a.name for a in briefing.actors][:2] == ["Ana Silva", "Tom Reyes"]
    assert briefing.open_questions and briefing.summary
    # Every call is counted, the failed ones too.
    assert briefing.usage.calls == len(model.history) == 4 + model.profile.max_attempts


def test_a_dead_endpoint_fails_the_briefing_with_a_library_error_not_a_group() -> None:
    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "questions":
            return PermanentModelError("HTTP 401, the API key was rejected", profile="fake")
        return reply(request)

    with pytest.raises(PermanentModelError, match="401") as caught:
        brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    assert isinstance(caught.value, SummarizeError)


def test_generic_questions_are_dropped_and_asked_again_once() -> None:
    generic = {
        "open_questions": [
            {"question": "What is the current status of the talks?", "why_open": "x"},
            {"question": "What are the implications of this decision?", "why_open": "x"},
            {"question": "Will the council approve Silva's budget on March 3?", "why_open": "x"},
        ]
    }
    calls: list[int] = []

    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "questions":
            calls.append(1)
            return generic
        return reply(request)

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    # Asked twice (once more after the generic ones were named), then what is specific kept.
    assert len(calls) == 2
    assert [q.question for q in briefing.open_questions] == [
        "Will the council approve Silva's budget on March 3?"
    ]


def test_echoed_and_repeated_questions_do_not_count_and_echoed_views_are_not_shown() -> None:
    echo = {"question": "Will Reyes pay for the bridge with a fuel levy rather than by property "
            "taxes?", "why_open": "x"}  # fmt: skip
    first = {
        "open_questions": [
            {"question": "Will the council approve Silva's budget on March 3?", "why_open": "x"},
            {
                "question": "Will the council approve the budget of Silva on March 3?",
                "why_open": "x",
            },
            echo,
        ]
    }
    shown: list[str] = []

    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "positions":
            # Silva's stance copies the positions prompt's example; Reyes's is his own.
            copied = "Ana Silva" in request.messages[2]["content"]
            stance = (
                "Wants the bridge paid for by a fuel levy rather than by property taxes."
                if copied
                else "Says borrowing for the bridge would cost too much."
            )
            return {"positions": [{"evidence": [1], "stance": stance}]}
        if request.schema_name == "questions":
            shown.append(request.messages[-1]["content"])
            return first if len(shown) == 1 else QUESTIONS
        return reply(request)

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    # One distinct question of three: asked again, and the second answer is kept.
    assert len(shown) == 2
    assert [q.question for q in briefing.open_questions] == [
        q["question"] for q in QUESTIONS["open_questions"]
    ]
    assert "fuel levy" not in shown[0] and "Says borrowing" in shown[0]


def test_a_stance_copied_from_the_example_is_asked_again_once_and_a_copied_role_not_shown() -> None:
    example = "Wants the bridge paid for by a fuel levy rather than by property taxes."
    asked: dict[str, list[str]] = {}

    def answer(request: CompletionRequest) -> Any:
        task = request.messages[2]["content"]
        if request.schema_name == "actors":
            actors = [dict(a) for a in ACTORS["actors"][:2]]
            actors[1]["role"] = "Mayor of Eastport; pushes for the new bridge"  # the example's
            return {"actors": actors}
        if request.schema_name == "positions":
            who = "Ana Silva" if "Ana Silva" in task else "Tom Reyes"
            asked.setdefault(who, []).append(request.messages[-1]["content"])
            if who == "Tom Reyes":  # copies the example every time: asked once more, no more
                return {"positions": [{"evidence": [1], "stance": example}]}
            first = len(asked[who]) == 1
            stance = example if first else "Wants a new bridge over the river by 2027."
            return {"positions": [{"evidence": [1], "stance": stance}]}
        return reply(request)

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    assert [len(asked["Ana Silva"]), len(asked["Tom Reyes"])] == [2, 2]
    assert "repeats the example" in asked["Ana Silva"][1]
    assert [(p.actor, p.stance) for p in briefing.positions] == [
        ("Ana Silva", "Wants a new bridge over the river by 2027.")
    ]
    assert "pushes for the new bridge" not in asked["Tom Reyes"][0]
    assert "what does Tom Reyes want" in asked["Tom Reyes"][0]


def test_three_questions_are_too_few_and_asked_again_once() -> None:
    three = {"open_questions": QUESTIONS["open_questions"][:3]}
    tasks: list[str] = []

    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "questions":
            tasks.append(request.messages[-1]["content"])
            return three
        return reply(request)

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    # Asked once more ("write 4 to 6"); the second answer, three again, is kept as it is.
    assert len(tasks) == 2 and "write 4 to 6 questions" in tasks[1]
    assert len(briefing.open_questions) == 3


def test_the_questions_pass_is_shown_what_the_article_says_is_still_to_come() -> None:
    model = FakeModel(default=reply)
    brief(ARTICLE, model=model, config=settings())
    [request] = [r for r in model.history if r.schema_name == "questions"]
    task = request.messages[-1]["content"]
    shown = task.split("still to come, expected or not yet said:")[1].split("Each question")[0]
    assert "- The council will vote on the budget on March 3." in shown
    assert "will build a new bridge" in shown
    assert "200 metres wide" not in shown and "rejected the plan" not in shown


@pytest.mark.parametrize(
    ("question", "generic"),
    [
        ("What is the current status of the talks?", True),
        ("How will this affect ordinary people?", True),
        ("What is the future of the bridge?", True),
        ("Will Reyes vote against the budget?", False),
        ("Can the city borrow enough by 2027?", False),
        ("Will the Zurich court rule?", True),  # names nothing in this article
    ],
)
def test_a_question_is_specific_when_it_names_something_of_the_story(
    question: str, generic: bool
) -> None:
    assert questions.is_generic(question, ARTICLE) is generic


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("The mayor wants a bridge. Sophie Primas called such a demand", "mid-sentence"),
        ('Reyes called it "too costly. He objects.', "quotation"),
        ("The mayor wants a bridge by 2027.", None),
        ('Reyes called the plan "too costly."', None),
        ("", "empty"),
    ],
)
def test_summaries_cut_off_or_with_an_open_quote_are_faulted(text: str, fault: str | None) -> None:
    found = summary.problem(text)
    assert (found is None) if fault is None else (fault in (found or ""))


def test_a_summary_cut_mid_sentence_is_asked_again() -> None:
    cut = {"summary": "Eastport's mayor wants a bridge by 2027. A council member called it"}
    seen: list[int] = []

    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "summary":
            seen.append(1)
            return cut if len(seen) == 1 else SUMMARY
        return reply(request)

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    assert len(seen) == 2 and briefing.summary == SUMMARY["summary"]


def test_a_summary_that_never_ends_keeps_its_complete_sentences() -> None:
    cut = {"summary": "Eastport's mayor wants a bridge by 2027. A council member called it"}

    def answer(request: CompletionRequest) -> Any:
        return cut if request.schema_name == "summary" else reply(request)

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    assert briefing.summary == "Eastport's mayor wants a bridge by 2027."


def test_progress_counts_every_call_of_every_pass() -> None:
    steps: list[Progress] = []
    model = FakeModel(default=reply)
    brief(ARTICLE, model=model, config=settings(), on_progress=steps.append)
    assert [s.done for s in steps] == list(range(1, len(model.history) + 1))
    assert steps[-1].total == len(model.history)
    assert {s.stage for s in steps} == {"actors", "positions", "questions", "summary"}


def test_usage_adds_up_the_prefix_tokens_the_endpoint_reused() -> None:
    def answer(request: CompletionRequest) -> Completion:
        import json

        return Completion(
            text=json.dumps(reply(request)),
            prompt_tokens=1000,
            completion_tokens=10,
            cached_tokens=900,
        )

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    assert briefing.usage.calls == 5
    assert briefing.usage.cached_tokens == 4500 and briefing.usage.prompt_tokens == 5000


def test_a_long_article_is_analysed_once_and_briefed_per_part_with_provenance(
    seed_text: str,
) -> None:
    article = "\n\n".join([seed_text, ARTICLE, seed_text])
    model = FakeModel(context_window=4096, max_output_tokens=512, default=reply)
    pipeline = Pipeline(model, settings=settings())
    plan = pipeline.plan(article)
    assert len(plan.chunks) > 1
    briefing = pipeline.run(article)
    prefixes = {tuple(m["content"] for m in r.messages[:2]) for r in model.history}
    assert len(prefixes) == len(plan.chunks)  # one shared prefix per part
    cleaned = plan.article
    chunks = {p.chunk for p in briefing.positions}
    assert chunks == set(range(len(plan.chunks)))  # every part contributed
    for position in briefing.positions:
        chunk = plan.chunks[position.chunk or 0]
        # A position keeps the part it was first found in; the same stance found in a later
        # part adds that part's quotes, each with its article-wide offsets.
        assert any(chunk.start <= q.start < q.end <= chunk.end for q in position.evidence)  # type: ignore[operator]
        for quote in position.evidence:
            assert quote.start is not None and quote.end is not None
            assert cleaned[quote.start : quote.end] == quote.text


@pytest.mark.parametrize(
    ("file_strategy", "profile_strategy", "argument", "expected"),
    [
        ("passes", None, None, "passes"),
        ("single", None, None, "single"),
        ("passes", "single", None, "single"),
        ("single", "passes", "single", "single"),
        ("single", "single", "passes", "passes"),
    ],
)
def test_the_strategy_comes_from_argument_then_profile_then_settings(
    tmp_path: Any,
    file_strategy: str,
    profile_strategy: str | None,
    argument: str | None,
    expected: str,
) -> None:
    toml = tmp_path / "summarize.toml"
    profile = f'strategy = "{profile_strategy}"\n' if profile_strategy else ""
    toml.write_text(f'strategy = "{file_strategy}"\n[models.gpt]\nmodel = "gpt-4o-mini"\n{profile}')
    loaded = load_settings(toml).with_strategy(argument)  # type: ignore[arg-type]
    assert Pipeline("gpt", settings=loaded).strategy.name == expected


@pytest.mark.parametrize(
    ("text", "echo"),
    [
        ("Wants the bridge paid for by a fuel levy rather than by property taxes.", True),
        ("pushes for the new bridge", True),  # a part of the role example
        ("Will Putin pay for the bridge with a fuel levy rather than by property taxes?", True),
        ("Wants a quick ceasefire in Ukraine.", False),
        ("Will the council approve the new bridge budget?", False),
    ],
)
def test_text_copied_from_the_prompts_examples_is_an_echo(text: str, echo: bool) -> None:
    from summarize.finish import echoes_prompt

    assert echoes_prompt(text, ARTICLE) is echo
    # Where the article itself says it, it is no echo.
    assert not echoes_prompt(text, ARTICLE + "\n" + text)


def test_roles_and_questions_that_echo_the_examples_are_dropped() -> None:
    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "actors":
            actors = [dict(a) for a in ACTORS["actors"]]
            actors[1]["role"] = "pushes for the new bridge"
            return {"actors": actors}
        if request.schema_name == "questions":
            echo = {"question": "Will Silva pay by a fuel levy rather than by property taxes?"}
            return {"open_questions": [*QUESTIONS["open_questions"], {**echo, "why_open": "-"}]}
        return reply(request)

    briefing = brief(ARTICLE, model=FakeModel(default=answer), config=settings())
    assert [a.role for a in briefing.actors][:2] == ["Mayor of Eastport", ""]
    assert len(briefing.open_questions) == len(QUESTIONS["open_questions"])
    assert not any("levy" in q.question for q in briefing.open_questions)


async def test_brief_works_inside_a_running_event_loop() -> None:
    # A notebook's loop is running: brief() drives its own loop in a worker thread.
    briefing = brief(ARTICLE, model=FakeModel(default=reply), config=settings())
    assert {p.actor for p in briefing.positions} == {"Ana Silva", "Tom Reyes"}


def test_an_alias_naming_another_person_with_views_is_dropped_and_that_person_added() -> None:
    # The 1.5B model listed "Sophie Primas" among the aliases of "European official" (and
    # "Chen" among Judge Marsh's): each person's words must stay their own.
    def answer(request: CompletionRequest) -> Any:
        if request.schema_name == "actors":
            silva = {
                "name": "Ana Silva",
                "aliases": ["Silva", "Mayor", "Tom Reyes", "Reyes"],
                "kind": "person",
                "role": "Mayor of Eastport",
            }
            return {"actors": [silva]}
        return reply(request)

    model = FakeModel(default=answer)
    briefing = brief(ARTICLE, model=model, config=settings())
    by_name = {a.name: a for a in briefing.actors}
    assert by_name["Ana Silva"].aliases == ["Silva", "Mayor"]
    assert "Tom Reyes" in by_name  # added as himself, with his own positions call
    holders = {p.actor: p.evidence[0].text for p in briefing.positions}
    assert "Reyes" not in holders["Ana Silva"] and "Reyes" in holders["Tom Reyes"]


@pytest.mark.parametrize(
    "article",
    [
        "The American Chamber of Commerce in China, known as AmCham China, released a survey.",
        "The American Chamber of Commerce (AmCham China) released a survey.",
    ],
)
def test_a_name_the_article_gives_an_actor_merges_the_two(article: str) -> None:
    from summarize.passes.actors import stated_aliases
    from summarize.schema import Actor

    listed = [
        Actor(name="American Chamber of Commerce", kind="organization"),
        Actor(name="James Zimmerman", kind="person"),
        Actor(name="AmCham China", kind="organization"),
    ]
    merged = stated_aliases(article, listed)
    assert [a.name for a in merged] == ["American Chamber of Commerce", "James Zimmerman"]
    assert merged[0].aliases == ["AmCham China"]
    # No such wording: nothing merges, nothing changes.
    assert stated_aliases("AmCham China and the American Chamber met.", listed) == listed
    # Brackets after a person's name hold a place or a party, not another name.
    people = [Actor(name="Keir Starmer", kind="person"), Actor(name="UK", kind="country")]
    assert stated_aliases("Keir Starmer (UK) spoke.", people) == people
