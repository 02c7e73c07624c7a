"""Repeated runs, comparisons that refuse to lie, parallel cases and judge calibration.

The same small dataset and model doubles as ``test_eval.py``: no real model is called.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from test_eval import (
    CASE_IDS,
    LEXICAL,
    answering,
    draft_from,
    evaluate,
    other_case,
    run,
    write_dataset,
)
from test_judge import judge_profile, verdict

import summarize.evaluation.similarity as similarity_module
from summarize.config import ModelProfile, Settings
from summarize.errors import PermanentModelError
from summarize.evaluation.calibration import judge_agreement
from summarize.evaluation.dataset import Case, Dataset, load_dataset
from summarize.evaluation.epochs import epoch_spread
from summarize.evaluation.report import print_summary, render_html, render_markdown
from summarize.evaluation.runner import (
    EvalResults,
    compare,
    load_results,
    run_eval,
)
from summarize.evaluation.stats import Bootstrap, bootstrap_spearman, spearman
from summarize.models import Completion, CompletionRequest
from summarize.testing import FakeModel
from summarize.testing_server import FaultServer, Respond, echo_briefing

API_KEY = "sk-test-RUNS-SECRET-1234567890"


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "mini")


@pytest.fixture
def dataset(dataset_dir: Path) -> Dataset:
    return load_dataset(dataset_dir)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FaultServer(default=Respond(echo_briefing)) as fault_server:
        monkeypatch.setenv("SUMMARIZE_BASE_URL", fault_server.base_url)
        monkeypatch.setenv("SUMMARIZE_STRATEGY", "single")
        monkeypatch.setenv("SUMMARIZE_API_KEY", API_KEY)
        yield fault_server


def console_text(results: EvalResults) -> str:
    import io

    from rich.console import Console

    buffer = io.StringIO()
    print_summary(results, Console(file=buffer, width=200))
    return buffer.getvalue()


# --- 4. repeated runs ---------------------------------------------------------------------------


def test_epochs_report_the_mean_and_spread_and_flag_the_case_that_moves(dataset: Dataset) -> None:
    asked: dict[str, int] = {}

    def build(case: Case) -> Any:
        asked[case.id] = asked.get(case.id, 0) + 1
        if case.id == CASE_IDS[0] and asked[case.id] == 2:  # the second epoch goes astray
            return draft_from(other_case(dataset, case).reference)
        return draft_from(case.reference)

    single = evaluate(dataset, answering(dataset))
    asked.clear()
    results = evaluate(dataset, answering(dataset, build), epochs=2)

    spread = results.epochs
    assert spread is not None and spread.epochs == 2
    assert spread.unstable == [CASE_IDS[0]]
    steady, moving = spread.cases[CASE_IDS[1]], spread.cases[CASE_IDS[0]]
    assert steady.ranges["overall"] == 0.0 and not steady.unstable
    assert moving.ranges["overall"] > spread.threshold and "overall" in moving.unstable
    # Per case, the mean over epochs; per field, the std of the epochs' means.
    first, second = moving.values["overall"]
    assert first == pytest.approx(single.cases[0].overall)
    assert results.cases[0].overall == pytest.approx((first + second) / 2, abs=1e-4)
    assert results.cases[1].overall == pytest.approx(single.cases[1].overall)
    means = spread.means["overall"]
    assert spread.std["overall"] == pytest.approx(abs(means[0] - means[1]) / 2**0.5, abs=1e-4)
    assert results.aggregate["overall"] == pytest.approx(sum(means) / 2, abs=1e-3)
    assert "mean of 2 epochs" in results.cases[0].scores["positions"].explanation

    for text in (render_markdown(results), render_html(results), console_text(results)):
        assert "Spread over epochs" in text or "spread over 2 epochs" in text
        assert "unstable" in text
    assert f"Unstable cases: {CASE_IDS[0]}." in render_markdown(results)
    again = EvalResults.model_validate_json(results.model_dump_json())
    assert again.epochs == spread


def test_epoch_spread_on_hand_made_values() -> None:
    epochs = [
        {"overall": {"a": 0.5, "b": 0.9}},
        {"overall": {"a": 0.7, "b": 0.9}},
        {"overall": {"a": 0.6, "b": 0.1}},
    ]
    spread = epoch_spread(epochs, ["a", "b"], threshold=0.2)
    assert spread.means["overall"] == [0.7, 0.8, 0.35]
    assert spread.std["overall"] == pytest.approx(0.2363, abs=1e-4)
    assert spread.cases["a"].ranges["overall"] == pytest.approx(0.2)  # not above: stable
    assert spread.unstable == ["b"]


def test_a_failed_epoch_counts_zero_and_marks_the_case_failed(dataset: Dataset) -> None:
    asked: dict[str, int] = {}

    def build(case: Case) -> Any:
        asked[case.id] = asked.get(case.id, 0) + 1
        if case.id == CASE_IDS[1] and asked[case.id] == 1:
            return PermanentModelError("gone", profile="fake")
        return draft_from(case.reference)

    results = evaluate(dataset, answering(dataset, build), epochs=2)
    failed = results.cases[1]
    assert not failed.ok and failed.error is not None and failed.error.startswith("epoch 1:")
    assert failed.overall == pytest.approx(results.cases[0].overall / 2, abs=1e-3)


def test_epochs_refuse_recordings(dataset: Dataset, tmp_path: Path) -> None:
    for mode in ("record", "replay"):
        with pytest.raises(ValueError, match="need a live run"):
            evaluate(dataset, answering(dataset), epochs=2, mode=mode, recordings=tmp_path)


def test_cli_epochs_with_replay_is_a_usage_error(
    dataset_dir: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["eval", str(dataset_dir), "--replay", "--epochs", "3", "-q"], capsys)
    assert code == 2
    assert "--epochs 3 needs a live run" in err
    assert not server.completions


def test_cli_epochs_sample_at_the_temperature_with_a_seed_per_epoch(
    dataset_dir: Path, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    args = ["eval", str(dataset_dir), "--model", "gpt-4o-mini", "--similarity", "lexical", "-q"]
    code, out, err = run(
        [*args, "--epochs", "2", "--temperature", "0.7", "--out", str(out_dir)], capsys
    )
    assert code == 0, err
    bodies = [r.body or {} for r in server.completions]
    assert len(bodies) == 2 * len(CASE_IDS)
    assert {b["temperature"] for b in bodies} == {0.7}
    assert sorted(b["seed"] for b in bodies) == [0, 0, 1, 1]
    results = load_results(out_dir / "results.json")
    assert results.profile["temperature"] == 0.7
    assert results.epochs is not None and results.epochs.seeds == [0, 1]
    assert results.epochs.temperature == 0.7
    assert "spread over 2 epochs" in out
    assert "Spread over epochs" in (out_dir / "report.md").read_text()


# --- 6. comparisons that refuse to lie ------------------------------------------------------------


@pytest.fixture
def results(dataset: Dataset) -> EvalResults:
    return evaluate(dataset, answering(dataset))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"similarity": "minilm"}, "similarity backend: lexical now, minilm in the baseline"),
        ({"dataset_hash": "0123456789abcdef"}, "dataset (references or articles)"),
        ({"mode": "record"}, "mode: live now, record in the baseline"),
        ({"prompt_hashes": {"brief_user.j2": "x"}}, "prompt templates changed: "),
        ({"settings": {"strategy": "passes"}}, "strategy: single now, passes in the baseline"),
    ],
)
def test_compare_refuses_runs_that_differ_unless_forced(
    results: EvalResults, change: dict[str, Any], expected: str
) -> None:
    baseline = results.model_copy(update=change)
    comparison = compare(results, baseline)
    assert len(comparison.mismatches) == 1 and expected in comparison.mismatches[0]
    assert any("not comparable with the baseline" in f for f in comparison.gate())
    assert comparison.gate(force=True) == []  # nothing else differs
    assert "NOT COMPARABLE" in render_markdown(results, comparison)


def test_record_and_replay_are_one_kind_and_an_old_baseline_is_unknown_not_a_crash(
    results: EvalResults,
) -> None:
    replayed = results.model_copy(update={"mode": "replay"})
    assert compare(replayed, results.model_copy(update={"mode": "record"})).mismatches == []
    old = json.loads(results.model_dump_json())
    for key in ("dataset_hash", "templates_hash", "epochs", "calibration"):
        old.pop(key)
    del old["settings"]["strategy"]
    baseline = EvalResults.model_validate(old)
    comparison = compare(results, baseline)
    assert comparison.mismatches == []
    assert comparison.unknown == ["dataset hash", "strategy"]
    assert comparison.gate() == []
    assert "the baseline does not record: dataset hash, strategy" in render_markdown(
        results, comparison
    )


def test_a_case_missing_from_the_new_run_fails_the_gate(results: EvalResults) -> None:
    gone = results.cases[0].model_copy(update={"id": "gone"})
    baseline = results.model_copy(update={"cases": [*results.cases, gone]})
    failures = compare(results, baseline).gate(force=True)
    assert failures == ["1 baseline case(s) missing from this run: gone"]


def _first_run(dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out_dir = tmp_path / "first"
    code, _, err = run(
        [
            "eval",
            str(dataset_dir),
            "--model",
            "gpt-4o-mini",
            "--similarity",
            "lexical",
            "-q",
            "--out",
            str(out_dir),
        ],
        capsys,
    )
    assert code == 0, err
    return out_dir / "results.json"


def test_cli_refuses_a_baseline_of_another_dataset_before_any_call_and_force_compares(
    dataset_dir: Path, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = _first_run(dataset_dir, tmp_path, capsys)
    calls = len(server.completions)
    article = dataset_dir / "port-strike.txt"
    article.write_text(article.read_text() + "One more sentence.\n")
    args = ["eval", str(dataset_dir), "--model", "gpt-4o-mini", "--similarity", "lexical", "-q"]

    code, _, err = run([*args, "--baseline", str(baseline)], capsys)
    assert code == 1
    err = " ".join(err.split())
    assert "not comparable with the baseline: dataset (references or articles)" in err
    assert "refusing to compare" in err
    assert len(server.completions) == calls  # refused before any model call

    code, out, err = run([*args, "--baseline", str(baseline), "--force"], capsys)
    assert code == 0, err
    assert "NOT COMPARABLE, compared anyway (--force): dataset" in " ".join(err.split())
    assert "NOT COMPARABLE: dataset" in " ".join(out.split())


def test_cli_auto_similarity_follows_the_baseline_and_never_falls_back_silently(
    dataset_dir: Path,
    tmp_path: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    baseline = _first_run(dataset_dir, tmp_path, capsys)  # lexical
    out_dir = tmp_path / "second"
    args = ["eval", str(dataset_dir), "--model", "gpt-4o-mini", "-q", "--baseline", str(baseline)]
    code, _, err = run([*args, "--out", str(out_dir)], capsys)
    assert code == 0, err
    assert load_results(out_dir / "results.json").similarity == "lexical"

    minilm_baseline = tmp_path / "minilm.json"
    data = json.loads(baseline.read_text())
    data["similarity"] = "minilm"
    minilm_baseline.write_text(json.dumps(data))

    def missing(*_: Any, **__: Any) -> Any:
        raise ImportError("no MiniLM weights")

    monkeypatch.setattr(similarity_module, "MiniLMSimilarity", missing)
    calls = len(server.completions)
    args[-1] = str(minilm_baseline)
    code, _, err = run(args, capsys)
    assert code == 1
    assert "scored with the minilm similarity, which is not installed" in " ".join(err.split())
    assert len(server.completions) == calls


# --- 8. parallel cases --------------------------------------------------------------------------


class CountingModel(FakeModel):
    """A FakeModel that records how many calls were in flight at once."""

    def __init__(self, *args: Any, delays: dict[str, float], dataset: Dataset, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.delays, self.dataset = delays, dataset
        self.in_flight = self.max_in_flight = 0

    async def acomplete(self, request: CompletionRequest) -> Completion:
        from test_eval import case_of

        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delays.get(case_of(request, self.dataset).id, 0.0))
            return self._next(request)
        finally:
            self.in_flight -= 1


def counting(dataset: Dataset, **kwargs: Any) -> CountingModel:
    base = answering(dataset)
    return CountingModel(default=base.default, dataset=dataset, **kwargs)


def test_parallel_cases_overlap_and_keep_the_dataset_order(dataset: Dataset) -> None:
    # The first case is the slowest: it finishes last, yet comes first in the results.
    model = counting(dataset, delays={CASE_IDS[0]: 0.3, CASE_IDS[1]: 0.0})
    finished: list[str] = []
    results = evaluate(dataset, model, concurrency=4, on_case=lambda r, n, t: finished.append(r.id))
    assert model.max_in_flight == 2
    assert finished == [CASE_IDS[1], CASE_IDS[0]]
    assert [c.id for c in results.cases] == CASE_IDS
    assert all(c.ok for c in results.cases)
    assert results.settings["case_concurrency"] == 4
    sequential = evaluate(dataset, counting(dataset, delays={}), concurrency=1)
    assert sequential.aggregate == results.aggregate


def test_one_case_at_a_time_by_default_and_on_the_embedded_model(dataset: Dataset) -> None:
    model = counting(dataset, delays={CASE_IDS[0]: 0.1})
    evaluate(dataset, model)
    assert model.max_in_flight == 1
    local = ModelProfile(name="mine", model="m", provider="local")
    model = counting(dataset, delays={CASE_IDS[0]: 0.1}, profile=local)
    results = evaluate(dataset, model, concurrency=4)
    assert model.max_in_flight == 1
    assert results.settings["case_concurrency"] == 1


def test_a_failed_case_in_a_parallel_run_is_recorded_and_the_others_kept(
    dataset: Dataset,
) -> None:
    def build(case: Case) -> Any:
        if case.id == CASE_IDS[0]:
            return PermanentModelError("refused", profile="fake")
        return draft_from(case.reference)

    model = CountingModel(
        default=answering(dataset, build).default,
        dataset=dataset,
        delays={CASE_IDS[1]: 0.1},
    )
    results = evaluate(dataset, model, concurrency=2)
    assert [c.id for c in results.cases] == CASE_IDS
    assert not results.cases[0].ok and "refused" in (results.cases[0].error or "")
    assert results.cases[1].ok and results.cases[1].overall > 0.5


def test_recording_in_parallel_then_replaying_gives_the_same_scores(
    dataset: Dataset, tmp_path: Path
) -> None:
    model = counting(dataset, delays={CASE_IDS[0]: 0.1, CASE_IDS[1]: 0.1})
    folder = tmp_path / "rec"
    recorded = evaluate(dataset, model, mode="record", recordings=folder, concurrency=2)
    assert model.max_in_flight == 2
    replayed = run_eval(
        dataset,
        model=model.profile.name,
        settings=Settings(strategy="single", models={"fake": model.profile}),
        mode="replay",
        recordings=folder,
        similarity=LEXICAL,
        concurrency=2,
    )
    assert all(c.ok for c in replayed.cases)
    assert replayed.aggregate == recorded.aggregate
    calls = len(model.history)
    by_instance = evaluate(dataset, model, mode="replay", recordings=folder, concurrency=2)
    assert len(model.history) == calls  # a model instance in a replay lends its profile only
    assert by_instance.aggregate == recorded.aggregate


# --- 5. judge calibration ---------------------------------------------------------------------


def test_spearman_on_hand_made_scores() -> None:
    assert spearman([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert spearman([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1]) == -1.0
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9487, abs=1e-4)  # ties
    assert spearman([3, 3, 3], [1, 2, 3]) is None  # a constant side: undefined
    assert spearman([1, 2], [1, 2]) is None
    assert bootstrap_spearman([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == (1.0, 1.0)
    interval = bootstrap_spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])
    rho = spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])
    assert interval is not None and rho is not None
    assert -1 <= interval[0] < rho <= interval[1] <= 1
    seeded = bootstrap_spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5], Bootstrap(seed=3))
    assert seeded == bootstrap_spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5], Bootstrap(seed=3))


def test_judge_agreement_maps_each_criterion_to_its_field() -> None:
    ids = ["a", "b", "c", "d", "e"]
    grades = {
        "faithfulness": dict(zip(ids, [1, 2, 3, 4, 5], strict=True)),
        "coverage": dict(zip(ids, [5, 4, 3, 2, 1], strict=True)),
        "attribution": dict(zip(ids, [1, 2, 3, 4, 5], strict=True)),
        "questions": dict(zip(ids, [3, 3, 3, 3, 3], strict=True)),
    }
    fields = {
        "grounding": dict(zip(ids, [0.1, 0.2, 0.3, 0.4, 0.9], strict=True)),
        "positions": dict(zip(ids, [0.1, 0.2, 0.3, 0.4, 0.5], strict=True)),
        "questions": dict(zip(ids, [0.0, 0.5, 1.0, 0.5, 0.0], strict=True)),
    }
    agreement = judge_agreement(grades, fields)
    assert agreement["faithfulness"].field == "grounding"
    assert agreement["faithfulness"].rho == 1.0 and agreement["faithfulness"].ci == (1.0, 1.0)
    assert agreement["coverage"].field == "positions" and agreement["coverage"].rho == -1.0
    assert agreement["attribution"].field == "positions"  # no attribution field here
    assert agreement["questions"].rho is None and agreement["questions"].cases == 5
    fields["attribution"] = dict(zip(ids, [0.5, 0.4, 0.3, 0.2, 0.1], strict=True))
    assert judge_agreement(grades, fields)["attribution"].field == "attribution"
    assert judge_agreement(grades, fields)["attribution"].rho == -1.0


def test_judge_mode_reports_its_calibration(dataset: Dataset) -> None:
    grades = {CASE_IDS[0]: verdict(5, 4, 3, 2), CASE_IDS[1]: verdict(2, 3, 4, 5)}

    def grade(request: CompletionRequest) -> Any:
        content = "".join(m["content"] for m in request.messages)
        case = next(c for c in dataset.cases if c.article_text.split(".")[0] in content)
        return grades[case.id]

    judge = FakeModel(default=grade, profile=judge_profile())
    results = evaluate(dataset, answering(dataset), judge=judge, concurrency=2)
    assert set(results.calibration) == {"faithfulness", "coverage", "attribution", "questions"}
    assert results.calibration["faithfulness"].field == "grounding"
    assert results.calibration["questions"].cases == 2
    assert results.calibration["questions"].rho is None  # two cases: undefined, said so
    for text in (render_markdown(results), render_html(results), console_text(results)):
        assert "Judge calibration" in text or "judge criterion" in text
    assert "| faithfulness | grounding | - |" in render_markdown(results)
    again = EvalResults.model_validate_json(results.model_dump_json())
    assert again.calibration == results.calibration
