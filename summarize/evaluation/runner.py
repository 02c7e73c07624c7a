"""Running an eval: brief every case of a dataset, score it, and keep a versioned log.

Three modes share one code path: ``live`` calls the model; ``record`` calls it and saves every
call (``summarize.recording``); ``replay`` answers every call from the recordings, so a
recorded eval reruns offline and gives the same scores. A case that fails (bad article, model
that keeps failing, a missing recording) scores 0 with the error kept; it never stops the run.

``EvalResults`` is what ``results.json`` holds: the model profile (never its key), the prompt
templates' hashes, the settings that shape a briefing, per-case scores with explanations,
usage and timings, and the aggregate. ``compare`` sets two results side by side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from summarize.config import Settings
from summarize.errors import SummarizeError
from summarize.evaluation.dataset import Case, Dataset
from summarize.evaluation.judge import judge_briefing
from summarize.evaluation.scorers import FIELD_WEIGHTS, score_case
from summarize.evaluation.similarity import Similarity, get_similarity
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
    "compare",
    "default_recordings_dir",
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
    seconds: float

    def case(self, case_id: str) -> CaseResult | None:
        return next((c for c in self.cases if c.id == case_id), None)


def default_recordings_dir(dataset: Dataset, profile_name: str) -> Path:
    """``evals/recordings/<dataset>/<profile>`` beside ``evals/datasets/<dataset>``."""
    root = dataset.path if dataset.path.is_dir() else dataset.path.parent
    if root.parent.name == "datasets":
        return root.parent.parent / "recordings" / dataset.name / profile_name
    return root / ".recordings" / profile_name


def _aggregate(cases: list[CaseResult]) -> dict[str, float]:
    if not cases:
        return {}
    fields = list(FIELD_WEIGHTS)
    out = {
        name: round(
            sum(c.scores[name].value if name in c.scores else 0.0 for c in cases) / len(cases), 4
        )
        for name in fields
    }
    out["overall"] = round(sum(c.overall for c in cases) / len(cases), 4)
    # Judge mode: the mean grade over the cases the judge could grade (unweighted, extra).
    judged = [
        c.scores["judge"].value
        for c in cases
        if "judge" in c.scores and not c.scores["judge"].details.get("error")
    ]
    if judged:
        out["judge"] = round(sum(judged) / len(judged), 4)
    return out


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
) -> EvalResults:
    """Brief and score every case of ``dataset``.

    ``judge``: a profile (or model) that also grades every briefing with a rubric
    (``summarize.evaluation.judge``), reported as the unweighted ``judge`` field. Its calls are
    recorded and replayed beside the briefings', under ``<recordings>/judge-<profile>``.
    """
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
        seconds=round(time.monotonic() - started, 3),
    )


class Comparison(BaseModel):
    """Differences (current minus baseline) per field and per case."""

    fields: dict[str, float]
    cases: dict[str, float]  # overall per case
    missing: list[str]  # baseline cases absent now
    added: list[str]  # cases absent from the baseline

    def worst_drop(self) -> float:
        return min([0.0, *self.fields.values(), *self.cases.values()])


def compare(current: EvalResults, baseline: EvalResults) -> Comparison:
    fields = {
        name: round(value - baseline.aggregate.get(name, 0.0), 4)
        for name, value in current.aggregate.items()
    }
    base_cases = {c.id: c for c in baseline.cases}
    cur_cases = {c.id: c for c in current.cases}
    return Comparison(
        fields=fields,
        cases={
            cid: round(c.overall - base_cases[cid].overall, 4)
            for cid, c in cur_cases.items()
            if cid in base_cases
        },
        missing=sorted(set(base_cases) - set(cur_cases)),
        added=sorted(set(cur_cases) - set(base_cases)),
    )


def load_results(path: str | Path) -> EvalResults:
    """An earlier ``results.json`` (``ValueError`` if it is not one)."""
    text = Path(path).read_text(encoding="utf-8")
    return EvalResults.model_validate_json(text)
