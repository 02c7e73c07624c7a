"""Intervals for eval scores: how far a mean over a few dozen cases can be trusted.

``bootstrap_interval`` is a percentile bootstrap of the mean over cases: resample the cases
with replacement many times, take the mean of each resample, and keep the middle 95% of those
means. Given the per-case differences between two runs of the same cases (new minus baseline,
matched by case id) it is the paired bootstrap: the interval of the mean change. A change whose
interval lies entirely below zero is a significant drop; one whose interval straddles zero is
indistinguishable from noise at this many cases.

The generator is seeded (``Bootstrap.seed``), so a report is reproducible to the digit.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

__all__ = ["Bootstrap", "bootstrap_interval"]


class Bootstrap(BaseModel):
    """How the intervals of a run were drawn (kept in ``results.json``)."""

    resamples: int = 10_000
    confidence: float = 0.95
    seed: int = 0


def bootstrap_interval(
    values: Sequence[float], bootstrap: Bootstrap | None = None
) -> tuple[float, float] | None:
    """The percentile-bootstrap interval of the mean of ``values`` (rounded to 4 places), or
    ``None`` for no values. Identical values give a zero-width interval at their value."""
    import numpy as np

    bootstrap = bootstrap or Bootstrap()
    if not values:
        return None
    data = np.asarray(values, dtype=float)
    if np.all(data == data[0]):  # every resample's mean is this value: no rounding drift
        return round(float(data[0]), 4) + 0.0, round(float(data[0]), 4) + 0.0
    rng = np.random.default_rng(bootstrap.seed)
    picks = rng.integers(0, len(data), size=(bootstrap.resamples, len(data)))
    means = data[picks].mean(axis=1)
    tail = (1 - bootstrap.confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return round(float(low), 4) + 0.0, round(float(high), 4) + 0.0
