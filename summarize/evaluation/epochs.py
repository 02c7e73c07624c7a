"""Repeated runs (``summarize eval --epochs N``): how much a score moves when nothing changes.

A live endpoint sampling at a temperature above zero answers differently each time, so one run's
score is one draw. Running every case N times gives, per field:

* the mean over epochs (the score reported, per case and overall);
* the spread of the run's mean: the standard deviation, over epochs, of each epoch's mean over
  the cases (sample std, N - 1);
* per case, the range of each field over epochs (max - min).

A case is *unstable* when some field's range over its epochs exceeds ``UNSTABLE_RANGE`` (0.2 on
the 0-1 scale: a fifth of the scale, as much as finding or losing one of five reference items).

Everything here is pure: it reads the per-epoch values ``runner.case_values`` gives.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

__all__ = ["UNSTABLE_RANGE", "CaseSpread", "EpochSpread", "epoch_spread"]

UNSTABLE_RANGE = 0.2

# field -> case id -> value, one such mapping per epoch (``runner.case_values``)
EpochValues = dict[str, dict[str, float]]


class CaseSpread(BaseModel):
    """One case over the epochs: per field its values and their range."""

    values: dict[str, list[float]]
    ranges: dict[str, float]
    unstable: list[str] = Field(default_factory=list)  # fields whose range exceeds the threshold


class EpochSpread(BaseModel):
    """What ``--epochs N`` measured (kept in ``results.json`` as ``epochs``)."""

    epochs: int
    threshold: float = UNSTABLE_RANGE
    temperature: float | None = None
    seeds: list[int | None] = Field(default_factory=list)  # the sampling seed of each epoch
    means: dict[str, list[float]]  # per field, each epoch's mean over the cases
    std: dict[str, float]  # per field, the sample std of those means
    cases: dict[str, CaseSpread]

    @property
    def unstable(self) -> list[str]:
        """The ids of the unstable cases, in the dataset's order."""
        return [case_id for case_id, spread in self.cases.items() if spread.unstable]


def _std(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return round(math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)), 4) + 0.0


def epoch_spread(
    per_epoch: list[EpochValues],
    case_ids: list[str],
    *,
    threshold: float = UNSTABLE_RANGE,
    temperature: float | None = None,
    seeds: list[int | None] | None = None,
) -> EpochSpread:
    """The spread of ``per_epoch`` (one ``case_values`` mapping per epoch) over ``case_ids``.
    A field a case lacks in some epoch (the judge could not grade it) is left out of that
    case's range for that epoch."""
    fields = list(dict.fromkeys(name for epoch in per_epoch for name in epoch))
    means = {
        name: [
            round(sum(epoch[name].values()) / len(epoch[name]), 4) if epoch.get(name) else 0.0
            for epoch in per_epoch
        ]
        for name in fields
    }
    cases: dict[str, CaseSpread] = {}
    for case_id in case_ids:
        values = {
            name: [epoch[name][case_id] for epoch in per_epoch if case_id in epoch.get(name, {})]
            for name in fields
        }
        values = {name: v for name, v in values.items() if v}
        ranges = {name: round(max(v) - min(v), 4) + 0.0 for name, v in values.items()}
        cases[case_id] = CaseSpread(
            values=values,
            ranges=ranges,
            unstable=[name for name, r in ranges.items() if r > threshold],
        )
    return EpochSpread(
        epochs=len(per_epoch),
        threshold=threshold,
        temperature=temperature,
        seeds=seeds or [],
        means=means,
        std={name: _std(v) for name, v in means.items()},
        cases=cases,
    )
