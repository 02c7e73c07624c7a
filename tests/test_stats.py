"""Intervals over cases and the paired gate: a real drop fails, noise passes, no model needed."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from rich.console import Console

from summarize.evaluation.report import print_summary, render_html, render_markdown, write_reports
from summarize.evaluation.runner import (
    CaseResult,
    EvalResults,
    FieldScore,
    _aggregate,
    _aggregate_ci,
    compare,
    load_results,
)
from summarize.evaluation.scorers import FIELD_WEIGHTS
from summarize.evaluation.stats import Bootstrap, bootstrap_interval

BASELINES = Path(__file__).resolve().parent.parent / "evals" / "baselines"


def results_of(values: dict[str, float], seed: int = 0) -> EvalResults:
    """A run whose every field (and overall) scores ``values[case id]`` on that case."""
    cases = [
        CaseResult(
            id=case_id,
            ok=True,
            overall=value,
            scores={name: FieldScore(value=value, explanation="") for name in FIELD_WEIGHTS},
        )
        for case_id, value in values.items()
    ]
    bootstrap = Bootstrap(seed=seed)
    return EvalResults(
        created="2026-01-01T00:00:00+00:00",
        dataset="synthetic",
        dataset_path="nowhere",
        mode="replay",
        profile={"name": "test", "model": "test-model"},
        prompt_hashes={},
        settings={},
        similarity="lexical",
        weights=dict(FIELD_WEIGHTS),
        cases=cases,
        aggregate=_aggregate(cases),
        aggregate_ci=_aggregate_ci(cases, bootstrap),
        bootstrap=bootstrap,
        seconds=0.0,
    )


def spread(n: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.uniform(0.2, 0.9), 4) for _ in range(n)]


# --- the bootstrap interval --------------------------------------------------------------------


def test_the_interval_contains_the_mean() -> None:
    values = spread(20)
    interval = bootstrap_interval(values)
    assert interval is not None
    low, high = interval
    assert low < sum(values) / len(values) < high
    assert low >= 0.2 and high <= 0.9


def test_the_interval_shrinks_with_more_cases() -> None:
    widths = []
    for n in (10, 40, 160):
        interval = bootstrap_interval(spread(n))
        assert interval is not None
        widths.append(interval[1] - interval[0])
    assert widths[0] > widths[1] > widths[2] > 0
    # The width goes as 1/sqrt(n): four times the cases, about half the width.
    assert widths[2] / widths[1] == pytest.approx(0.5, abs=0.15)


def test_the_interval_is_reproducible_with_its_seed() -> None:
    values = spread(15)
    assert bootstrap_interval(values, Bootstrap(seed=7)) == bootstrap_interval(
        values, Bootstrap(seed=7)
    )
    assert bootstrap_interval(values) == bootstrap_interval(values, Bootstrap(seed=0))
    others = {bootstrap_interval(values, Bootstrap(seed=seed)) for seed in range(1, 6)}
    assert len(others) > 1  # the seed is what makes it reproducible, not a fixed draw


def test_identical_values_give_a_zero_width_interval_and_no_values_none() -> None:
    assert bootstrap_interval([0.1] * 9) == (0.1, 0.1)  # no floating-point drift from the mean
    assert bootstrap_interval([0.0] * 9) == (0.0, 0.0)
    assert bootstrap_interval([0.7]) == (0.7, 0.7)
    assert bootstrap_interval([]) is None


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    values = spread(20)
    narrow = bootstrap_interval(values, Bootstrap(confidence=0.5))
    wide = bootstrap_interval(values, Bootstrap(confidence=0.99))
    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_every_field_of_a_run_has_its_interval() -> None:
    results = results_of(dict(zip([f"c{i}" for i in range(12)], spread(12), strict=True)))
    assert set(results.aggregate_ci) == set(results.aggregate) == {*FIELD_WEIGHTS, "overall"}
    for name, (low, high) in results.aggregate_ci.items():
        assert low <= results.aggregate[name] <= high


# --- the paired comparison and the gate ---------------------------------------------------------


def test_ten_cases_each_dropping_a_tenth_fail_even_under_a_large_max_drop() -> None:
    before = dict(zip([f"c{i}" for i in range(10)], spread(10), strict=True))
    baseline = results_of(before)
    current = results_of({cid: round(v - 0.1, 4) for cid, v in before.items()})
    comparison = compare(current, baseline)
    change = comparison.paired["positions"]
    assert change.mean == pytest.approx(-0.1) and change.cases == 10
    assert change.ci[1] < 0 and change.significant_drop
    failures = comparison.gate(max_drop=0.5)
    assert len(failures) == len(FIELD_WEIGHTS) + 1  # every field and overall
    assert any(f.startswith("positions dropped significantly") for f in failures)


def test_cases_moving_symmetrically_by_noise_pass_the_gate() -> None:
    before = dict(zip([f"c{i}" for i in range(10)], spread(10), strict=True))
    moves = [0.05, -0.05] * 5
    current = {
        cid: round(v + move, 4) for (cid, v), move in zip(before.items(), moves, strict=True)
    }
    comparison = compare(results_of(current), results_of(before))
    change = comparison.paired["overall"]
    assert change.mean == pytest.approx(0.0, abs=1e-9)
    assert change.ci[0] < 0 < change.ci[1]  # straddles zero: noise
    assert comparison.gate(max_drop=0.02) == []  # although single cases dropped 0.05
    # A replay has no noise: there the cases that dropped by more than --max-drop fail.
    failures = comparison.gate(max_drop=0.02, per_case=True)
    assert len(failures) == 5 and all(f.startswith("case c") for f in failures)


def test_a_small_but_consistent_drop_fails_only_under_max_drop_when_not_significant() -> None:
    before = dict(zip([f"c{i}" for i in range(10)], spread(10), strict=True))
    moves = [0.05, -0.09] * 5  # a mean drop of 0.02, within the noise of ten cases
    current = {
        cid: round(v + move, 4) for (cid, v), move in zip(before.items(), moves, strict=True)
    }
    comparison = compare(results_of(current), results_of(before))
    assert not comparison.paired["overall"].significant_drop
    assert comparison.gate() == []
    assert comparison.gate(max_drop=0.05) == []
    failures = comparison.gate(max_drop=0.01)
    assert "overall dropped by 0.020 against the baseline (more than --max-drop 0.01)" in "\n".join(
        failures
    )


def test_identical_runs_pass_with_every_change_exactly_zero() -> None:
    run = results_of(dict(zip([f"c{i}" for i in range(9)], spread(9), strict=True)))
    comparison = compare(run, run.model_copy(deep=True))
    assert all(c.mean == 0 and c.ci == (0.0, 0.0) for c in comparison.paired.values())
    assert comparison.gate(max_drop=0.0) == []


def test_baseline_cases_missing_from_the_run_fail_the_gate() -> None:
    before = dict(zip([f"c{i}" for i in range(6)], spread(6), strict=True))
    current = {cid: v for cid, v in before.items() if cid not in ("c2", "c4")}
    comparison = compare(results_of(current), results_of(before))
    assert comparison.missing == ["c2", "c4"]
    assert comparison.paired["overall"].cases == 4  # paired over the cases both ran
    assert comparison.gate(max_drop=1.0) == ["2 baseline case(s) missing from this run: c2, c4"]
    # A case added to the run is no failure: there is nothing to compare it with.
    assert compare(results_of(before), results_of(current)).gate(max_drop=0.0) == []


def test_the_paired_change_matches_cases_by_id_not_position() -> None:
    before = {"a": 0.2, "b": 0.9, "c": 0.5}
    after = {"c": 0.5, "a": 0.2, "b": 0.9}  # the same scores, another order
    comparison = compare(results_of(after), results_of(before))
    assert all(c.ci == (0.0, 0.0) for c in comparison.paired.values())


# --- results.json, old and new, and the reports -------------------------------------------------


def test_results_json_round_trips_the_intervals_and_the_comparison(tmp_path: Path) -> None:
    baseline = results_of(dict(zip([f"c{i}" for i in range(8)], spread(8), strict=True)))
    current = results_of({c.id: round(c.overall - 0.1, 4) for c in baseline.cases}, seed=3)
    comparison = compare(current, baseline)
    write_reports(current, tmp_path, comparison=comparison)
    raw = json.loads((tmp_path / "results.json").read_text())
    assert raw["aggregate_ci"]["overall"] == list(current.aggregate_ci["overall"])
    assert raw["bootstrap"] == {"resamples": 10_000, "confidence": 0.95, "seed": 3}
    assert raw["comparison"]["paired"]["overall"]["ci"][1] < 0
    loaded = load_results(tmp_path / "results.json")
    assert loaded.aggregate_ci == current.aggregate_ci
    assert loaded.bootstrap == current.bootstrap
    assert loaded.comparison == comparison
    assert compare(loaded, baseline) == comparison  # the stored seed reproduces the intervals


def test_an_older_results_json_without_the_new_keys_loads_as_a_baseline(tmp_path: Path) -> None:
    run = results_of(dict(zip([f"c{i}" for i in range(5)], spread(5), strict=True)))
    old = json.loads(run.model_dump_json())
    for key in ("aggregate_ci", "bootstrap", "comparison"):
        del old[key]
    (tmp_path / "old.json").write_text(json.dumps(old))
    loaded = load_results(tmp_path / "old.json")
    assert loaded.aggregate_ci == {} and loaded.comparison is None
    comparison = compare(run, loaded)
    assert comparison.gate(max_drop=0.0) == []
    assert set(comparison.paired) == {*FIELD_WEIGHTS, "overall"}


@pytest.mark.parametrize("name", ["dev-local.json", "dev-local-single.json"])
def test_the_committed_baselines_load_and_compare_to_themselves(name: str) -> None:
    baseline = load_results(BASELINES / name)
    comparison = compare(baseline, baseline)
    assert comparison.gate(max_drop=0.0) == []
    assert comparison.paired["overall"].cases == len(baseline.cases)


def test_the_reports_show_the_intervals_and_the_paired_change(tmp_path: Path) -> None:
    baseline = results_of(dict(zip([f"c{i}" for i in range(10)], spread(10), strict=True)))
    current = results_of({c.id: round(c.overall - 0.1, 4) for c in baseline.cases})
    comparison = compare(current, baseline)
    low, high = current.aggregate_ci["overall"]
    interval = f"[{low:.2f}, {high:.2f}]"
    change = comparison.paired["overall"]
    paired = f"[{change.ci[0]:+.2f}, {change.ci[1]:+.2f}]"

    console = Console(width=200, record=True, color_system=None)
    print_summary(current, console, comparison)
    text = console.export_text()
    ci_row = next(line for line in text.splitlines() if "95% CI" in line and "Δ" not in line)
    assert interval in ci_row
    delta_row = next(line for line in text.splitlines() if "Δ vs baseline" in line)
    assert "-0.10" in delta_row
    assert paired in next(line for line in text.splitlines() if "Δ 95% CI" in line)

    markdown = render_markdown(current, comparison)
    assert interval in next(line for line in markdown.splitlines() if line.startswith("| 95% CI"))
    assert f"| overall | -0.10 | {paired} | 10 | significant drop |" in markdown
    page = render_html(current, comparison=comparison)
    assert interval in page and paired in page and "significant drop" in page
