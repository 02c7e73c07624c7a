"""Running an eval: brief every case of a dataset, score it, and keep a versioned log.

Three modes share one code path: ``live`` calls the model; ``record`` calls it and saves every
call (``summarize.recording``); ``replay`` answers every call from the recordings, so a
recorded eval reruns offline and gives the same scores. A case that fails (bad article, model
that keeps failing, a missing recording) scores 0 with the error kept; it never stops the run.

``EvalResults`` is what ``results.json`` holds: the model profile (never its key), the prompt
templates' hashes, the settings that shape a briefing, per-case scores with explanations,
usage and timings, the aggregate, and each aggregate's 95% bootstrap interval over cases
(``summarize.evaluation.stats``). ``compare`` sets two results side by side: per field, the
paired change over the cases both ran, with its interval; ``Comparison.gate`` says whether the
change is a regression.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from summarize.config import Settings
from summarize.errors import SummarizeError
from summarize.evaluation.dataset import Case, Dataset
from summarize.evaluation.judge import judge_briefing
from summarize.evaluation.scorers import FIELD_WEIGHTS, FIELDS, overall, score_case
from summarize.evaluation.similarity import Similarity, get_similarity
from summarize.evaluation.stats import Bootstrap, bootstrap_interval
from summarize.models import ChatModel, close_model
from summarize.pipeline import Pipeline, resolve_model
from summarize.prompts import Prompts
from summarize.recording import RecordingModel, ReplayModel
from summarize.schema import Briefing, Usage

__all__ = [
    "RESULTS_VERSION",
    "CaseResult",
    "Comparison",
    "EvalResults",
    "FieldScore",
    "PairedChange",
    "case_values",
    "compare",
    "default_recordings_dir",
    "load_results",
    "run_eval",
]

RESULTS_VERSION = 1
Mode = Literal["live", "record", "replay"]


class FieldScore(BaseModel):
    value: float
    explanation: str
    details: dict[str, Any] = Field(default_factory=dict)


class CaseResult(BaseModel):
    id: str
    ok: bool
    error: str | None = None
    overall: float = 0.0
    scores: dict[str, FieldScore] = Field(default_factory=dict)
    briefing: Briefing | None = None
    usage: Usage | None = None
    seconds: float = 0.0


class EvalResults(BaseModel):
    version: int = RESULTS_VERSION
    created: str
    dataset: str
    dataset_path: str
    mode: Mode
    profile: dict[str, Any]
    prompt_hashes: dict[str, str]
    settings: dict[str, Any]
    similarity: str
    weights: dict[str, float]
    cases: list[CaseResult]
    aggregate: dict[str, float]
    # Added later, hence the defaults: an older results.json still loads (as a baseline too).
    aggregate_ci: dict[str, tuple[float, float]] = Field(default_factory=dict)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    seconds: float
    # Written with --baseline: the comparison the report shows.
    comparison: Comparison | None = None

    def case(self, case_id: str) -> CaseResult | None:
        return next((c for c in self.cases if c.id == case_id), None)


def default_recordings_dir(dataset: Dataset, profile_name: str) -> Path:
    """``evals/recordings/<dataset>/<profile>`` beside ``evals/datasets/<dataset>``."""
    root = dataset.path if dataset.path.is_dir() else dataset.path.parent
    if root.parent.name == "datasets":
        return root.parent.parent / "recordings" / dataset.name / profile_name
    return root / ".recordings" / profile_name


def case_values(
    cases: list[CaseResult], weights: Mapping[str, float] | None = None
) -> dict[str, dict[str, float]]:
    """Per aggregate field, the value each case contributes to its mean, by case id: the
    weighted fields (``weights``, default the registry's) and ``overall`` over every case (a
    failed case counts 0); any other field (the judge, or a field of the registry these results
    were not scored on) over the cases it scored without error, absent when it scored none."""
    if not cases:
        return {}
    weights = FIELD_WEIGHTS if weights is None else weights
    out = {
        name: {c.id: c.scores[name].value if name in c.scores else 0.0 for c in cases}
        for name in weights
    }
    out["overall"] = {c.id: c.overall for c in cases}
    for name in dict.fromkeys([*FIELDS, *(n for c in cases for n in c.scores)]):
        scored = {
            c.id: c.scores[name].value
            for c in cases
            if name in c.scores and not c.scores[name].details.get("error")
        }
        if scored and name not in out:
            out[name] = scored
    return out


def _aggregate(cases: list[CaseResult]) -> dict[str, float]:
    return {
        name: round(sum(values.values()) / len(values), 4)
        for name, values in case_values(cases).items()
    }


def _aggregate_ci(cases: list[CaseResult], bootstrap: Bootstrap) -> dict[str, tuple[float, float]]:
    intervals = {
        name: bootstrap_interval(list(values.values()), bootstrap)
        for name, values in case_values(cases).items()
    }
    return {name: ci for name, ci in intervals.items() if ci is not None}


def _score(
    briefing: Briefing, case: Case, similarity: Similarity
) -> tuple[float, dict[str, FieldScore]]:
    scored = score_case(briefing, case.reference, case.article_text, similarity)
    fields = {
        name: FieldScore(value=s.value, explanation=s.explanation, details=s.details())
        for name, s in scored.fields.items()
    }
    return scored.overall, fields


def _judge_model(
    judge: str | ChatModel | None, settings: Settings, mode: Mode, folder: Path
) -> tuple[ChatModel | None, ChatModel | None]:
    """(the model this run opened, the model to call) for judge mode; (None, None) without."""
    if judge is None:
        return None, None
    if mode == "replay":
        profile = judge.profile if isinstance(judge, ChatModel) else settings.profile(judge)
        return None, ReplayModel(profile, folder / f"judge-{profile.name}")
    base = resolve_model(judge, settings)
    if mode == "record":
        return base, RecordingModel(base, folder / f"judge-{base.profile.name}")
    return base, base


def _judge(model: ChatModel, case: Case, briefing: Briefing, prompts: Prompts) -> FieldScore:
    """The judge's grade as a field score; a judge that fails costs the field, not the case."""
    try:
        verdict = judge_briefing(model, case.article_text, briefing, prompts)
    except SummarizeError as exc:
        return FieldScore(value=0.0, explanation=f"no verdict: {exc}", details={"error": True})
    return FieldScore(
        value=verdict.value,
        explanation=verdict.explanation(),
        details=verdict.model_dump(),
    )


def run_eval(
    dataset: Dataset,
    *,
    model: str | ChatModel | None = None,
    settings: Settings | None = None,
    mode: Mode = "live",
    recordings: Path | None = None,
    similarity: Similarity | None = None,
    on_case: Callable[[CaseResult, int, int], None] | None = None,
    judge: str | ChatModel | None = None,
    bootstrap: Bootstrap | None = None,
) -> EvalResults:
    """Brief and score every case of ``dataset``.

    ``judge``: a profile (or model) that also grades every briefing with a rubric
    (``summarize.evaluation.judge``), reported as the unweighted ``judge`` field. Its calls are
    recorded and replayed beside the briefings', under ``<recordings>/judge-<profile>``.
    ``bootstrap``: how the intervals are drawn (default: 10,000 resamples, 95%, seed 0).
    """
    bootstrap = bootstrap or Bootstrap()
    settings = settings if settings is not None else Settings()
    base: ChatModel | None = None
    if mode == "replay" and (model is None or isinstance(model, str)):
        profile = settings.profile(model)  # replay needs the profile's name, not a client
    else:
        base = resolve_model(model, settings)
        profile = base.profile
    folder = recordings or default_recordings_dir(dataset, profile.name)
    chat_model: ChatModel
    if mode == "replay":
        chat_model = ReplayModel(profile, folder)
    elif mode == "record":
        assert base is not None
        chat_model = RecordingModel(base, folder)
    else:
        assert base is not None
        chat_model = base
    judge_base, judge_model = _judge_model(judge, settings, mode, folder)
    similarity = similarity or get_similarity("auto")
    prompts = Prompts(settings.prompts_dir)
    started = time.monotonic()
    results: list[CaseResult] = []
    for number, case in enumerate(dataset.cases, 1):
        t0 = time.monotonic()
        try:
            pipeline = Pipeline(chat_model, settings=settings, prompts=prompts)
            briefing = pipeline.run(case.article_text)
        except Exception as exc:  # a bug in one case must not cost the run
            if not isinstance(exc, SummarizeError):
                exc = SummarizeError(f"internal error: {type(exc).__name__}: {exc}")
            result = CaseResult(
                id=case.reference.id,
                ok=False,
                error=f"{type(exc).__name__}: {exc}",
                seconds=round(time.monotonic() - t0, 3),
            )
        else:
            overall, fields = _score(briefing, case, similarity)
            if judge_model is not None:
                fields["judge"] = _judge(judge_model, case, briefing, prompts)
            result = CaseResult(
                id=case.reference.id,
                ok=True,
                overall=overall,
                scores=fields,
                briefing=briefing,
                usage=briefing.usage,
                seconds=round(time.monotonic() - t0, 3),
            )
        results.append(result)
        if on_case:
            on_case(result, number, len(dataset.cases))
    if base is not None and base is not model:
        close_model(base)
    if judge_base is not None and judge_base is not judge:
        close_model(judge_base)
    return EvalResults(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        dataset=dataset.name,
        dataset_path=str(dataset.path),
        mode=mode,
        profile=profile.model_dump(mode="json", exclude={"api_key"}),
        prompt_hashes=prompts.hashes,
        settings={
            **settings.model_dump(
                mode="json", include={"merge", "evidence", "max_article_chars", "concurrency"}
            ),
            # The strategy the briefings were made with (a profile may override the settings').
            "strategy": Pipeline(chat_model, settings=settings, prompts=prompts).strategy.name,
        },
        similarity=similarity.name,
        weights=dict(FIELD_WEIGHTS),
        cases=results,
        aggregate=_aggregate(results),
        aggregate_ci=_aggregate_ci(results, bootstrap),
        bootstrap=bootstrap,
        seconds=round(time.monotonic() - started, 3),
    )


class PairedChange(BaseModel):
    """One field's change (current minus baseline) over the cases both runs scored."""

    mean: float
    ci: tuple[float, float]
    cases: int

    @property
    def significant_drop(self) -> bool:
        """The whole interval below zero: a drop that case-to-case noise does not explain."""
        return self.ci[1] < 0


class Comparison(BaseModel):
    """Differences (current minus baseline) per field and per case."""

    fields: dict[str, float]  # difference of the aggregates
    cases: dict[str, float]  # overall per case
    missing: list[str]  # baseline cases absent now
    added: list[str]  # cases absent from the baseline
    # Per field, the paired change over the cases in both runs with its bootstrap interval.
    paired: dict[str, PairedChange] = Field(default_factory=dict)
    # Fields of this run the baseline was not scored on: not compared, never a failure.
    skipped: list[str] = Field(default_factory=list)
    # When the runs' weights differ, this run's overall is compared as the baseline's weights
    # make it (those weights, else empty): like with like.
    overall_weights: dict[str, float] = Field(default_factory=dict)

    def worst_drop(self) -> float:
        return min([0.0, *self.fields.values(), *self.cases.values()])

    def gate(self, max_drop: float | None = None, *, per_case: bool = False) -> list[str]:
        """Why this change is a regression, one line per reason (empty: it passes). A field
        fails when its paired interval lies below zero, or (with ``max_drop``) when it drops
        by more than that; a baseline case missing from the new run fails. ``per_case`` (for
        replays, where every difference is real, not noise): a case whose overall drops by
        more than ``max_drop`` fails too."""
        failures = []
        if per_case and max_drop is not None:
            failures += [
                f"case {case} dropped by {-change:.3f} against the baseline "
                f"(more than --max-drop {max_drop:g}; a replay has no noise)"
                for case, change in self.cases.items()
                if change < -max_drop
            ]
        if self.missing:
            failures.append(
                f"{len(self.missing)} baseline case(s) missing from this run: "
                + ", ".join(self.missing)
            )
        for name, change in self.paired.items():
            interval = f"{change.mean:+.3f} [{change.ci[0]:+.3f}, {change.ci[1]:+.3f}]"
            if change.significant_drop:
                failures.append(
                    f"{name} dropped significantly against the baseline: {interval} over "
                    f"{change.cases} case(s), the whole 95% interval below zero"
                )
            elif max_drop is not None and change.mean < -max_drop:
                failures.append(
                    f"{name} dropped by {-change.mean:.3f} against the baseline "
                    f"(more than --max-drop {max_drop:g}): {interval}"
                )
        return failures


EvalResults.model_rebuild()


def compare(
    current: EvalResults, baseline: EvalResults, bootstrap: Bootstrap | None = None
) -> Comparison:
    """``current`` against ``baseline``; intervals drawn as ``current``'s unless given."""
    bootstrap = bootstrap or current.bootstrap
    base_values = case_values(baseline.cases, baseline.weights)
    cur_values = case_values(current.cases, current.weights)
    reweighted = dict(current.weights) != dict(baseline.weights)
    if reweighted:  # e.g. a field added since: the overall as the baseline would weigh it
        cur_values["overall"] = {
            c.id: overall({k: v.value for k, v in c.scores.items()}, baseline.weights)
            for c in current.cases
        }
    current_aggregate = dict(current.aggregate)
    if reweighted and cur_values:
        current_aggregate["overall"] = round(
            sum(cur_values["overall"].values()) / len(current.cases), 4
        )
    fields = {
        name: round(value - baseline.aggregate[name], 4)
        for name, value in current_aggregate.items()
        if name in baseline.aggregate
    }
    base_cases = {c.id: c for c in baseline.cases}
    cur_cases = {c.id: c for c in current.cases}
    cur_overall = cur_values.get("overall", {})
    paired: dict[str, PairedChange] = {}
    for name, values in cur_values.items():
        before = base_values.get(name, {})
        diffs = [value - before[cid] for cid, value in values.items() if cid in before]
        interval = bootstrap_interval(diffs, bootstrap)
        if interval is not None:
            paired[name] = PairedChange(
                mean=round(sum(diffs) / len(diffs), 4) + 0.0, ci=interval, cases=len(diffs)
            )
    return Comparison(
        fields=fields,
        cases={
            cid: round(value - base_cases[cid].overall, 4)
            for cid, value in cur_overall.items()
            if cid in base_cases
        },
        missing=sorted(set(base_cases) - set(cur_cases)),
        added=sorted(set(cur_cases) - set(base_cases)),
        paired=paired,
        skipped=[name for name in current.aggregate if name not in base_values],
        overall_weights=dict(baseline.weights) if reweighted else {},
    )


def load_results(path: str | Path) -> EvalResults:
    """An earlier ``results.json`` (``ValueError`` if it is not one)."""
    text = Path(path).read_text(encoding="utf-8")
    return EvalResults.model_validate_json(text)
