"""The scorer registry: a field added in one place is scored, reported and gated everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from test_eval import LEXICAL, answering, evaluate, write_dataset

from summarize.evaluation import scorers
from summarize.evaluation.dataset import Dataset, load_dataset
from summarize.evaluation.report import print_summary, render_html, render_markdown
from summarize.evaluation.runner import EvalResults, FieldScore, compare, load_results
from summarize.evaluation.scorers import FIELD_WEIGHTS, FIELDS, Score, ScoreField, score_case

BASELINES = Path(__file__).resolve().parent.parent / "evals" / "baselines"


def short_summary(briefing, reference, article, similarity) -> Score:  # type: ignore[no-untyped-def]
    """A made-up field: 1 when the summary is under 80 words."""
    words = len(briefing.summary.split())
    return Score(value=1.0 if words < 80 else 0.0, explanation=f"{words} words in the summary")


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    return load_dataset(write_dataset(tmp_path / "mini"))


@pytest.fixture
def brevity(monkeypatch: pytest.MonkeyPatch) -> ScoreField:
    field = ScoreField("brevity", 0.5, short_summary, "a short summary")
    monkeypatch.setitem(FIELDS, "brevity", field)
    return field


def test_the_registry_lists_every_field_with_its_scorer_and_weight() -> None:
    assert list(FIELDS)[-1] == "judge" and FIELDS["judge"].weight == 0
    assert FIELDS["judge"].scorer is None  # the runner grades it with a model of its own
    assert "judge" not in FIELD_WEIGHTS
    assert dict(FIELD_WEIGHTS) == {n: f.weight for n, f in FIELDS.items() if f.weight}
    assert sum(FIELD_WEIGHTS.values()) == pytest.approx(1.0)
    assert all(f.scorer is not None for n, f in FIELDS.items() if f.weight)


def test_a_field_added_to_the_registry_is_scored_reported_and_gated(
    dataset: Dataset, brevity: ScoreField
) -> None:
    case = dataset.cases[0]
    briefing = scorers.reference_to_briefing(case.reference, case.article_text)
    scored = score_case(briefing, case.reference, case.article_text, LEXICAL)
    assert scored.fields["brevity"].value == 1.0
    # runner: scored on every case, weighted in the overall, aggregated with an interval
    results = evaluate(dataset, answering(dataset))
    assert results.weights["brevity"] == 0.5
    assert all(c.scores["brevity"].value == 1.0 for c in results.cases)
    assert results.aggregate["brevity"] == 1.0 and "brevity" in results.aggregate_ci
    # report: a column in every form
    assert "| brevity |" in render_markdown(results).replace(" | overall", " |")
    assert "<th>brevity</th>" in render_html(results)
    console = Console(record=True, width=200)
    print_summary(results, console)
    assert "brevity" in console.export_text()
    # gate: a drop of the new field fails
    worse = results.model_copy(deep=True)
    for c in worse.cases:
        c.scores["brevity"] = FieldScore(value=0.0, explanation="too long")
    worse.aggregate["brevity"] = 0.0
    failures = compare(worse, results).gate(0.01)
    assert any(f.startswith("brevity dropped") for f in failures), failures


def test_a_baseline_without_a_field_skips_it_says_so_and_weighs_overall_as_it_did(
    dataset: Dataset, brevity: ScoreField
) -> None:
    results = evaluate(dataset, answering(dataset))
    old = _without(results, "brevity")
    comparison = compare(results, old)
    assert "brevity" not in comparison.paired and "brevity" not in comparison.fields
    assert comparison.skipped == ["brevity"]
    # The new overall weighs brevity; compared as the baseline weighed it, it has not moved.
    assert comparison.overall_weights == old.weights
    assert comparison.fields["overall"] == 0 and set(comparison.cases.values()) == {0}
    assert comparison.gate(0.01) == []
    note = render_markdown(results, comparison)
    assert "not compared, the baseline has no brevity" in note
    assert "overall compared under the baseline's weights" in note


@pytest.mark.parametrize("name", ["dev-local.json", "dev-local-single.json"])
def test_the_committed_baselines_load_and_compare_with_themselves(name: str) -> None:
    baseline = load_results(BASELINES / name)
    comparison = compare(baseline, baseline)
    assert comparison.gate(0.0) == [] and not comparison.skipped
    # Against a run from before the attribution field: skipped and said so, never a crash.
    older = _without(baseline, "attribution")
    comparison = compare(baseline, older)
    assert comparison.skipped == ["attribution"] and comparison.gate(0.0) == []
    assert comparison.overall_weights == older.weights


def _without(results: EvalResults, name: str) -> EvalResults:
    """``results`` as an older version wrote them, before the field ``name`` existed."""
    old = results.model_copy(deep=True)
    weights = {k: v for k, v in old.weights.items() if k != name}
    for c in old.cases:
        c.scores.pop(name, None)
        c.overall = scorers.overall({k: s.value for k, s in c.scores.items()}, weights)
    old.weights = weights
    old.aggregate = {k: v for k, v in old.aggregate.items() if k != name and k != "overall"} | {
        "overall": round(sum(c.overall for c in old.cases) / len(old.cases), 4)
    }
    old.aggregate_ci.pop(name, None)
    return old
