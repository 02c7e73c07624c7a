"""Intervals for eval scores: how far a mean over a few dozen cases can be trusted.

``bootstrap_interval`` is a percentile bootstrap of the mean over cases: resample the cases
with replacement many times, take the mean of each resample, and keep the middle 95% of those
means. Given the per-case differences between two runs of the same cases (new minus baseline,
matched by case id) it is the paired bootstrap: the interval of the mean change. A change whose
interval lies entirely below zero is a significant drop; one whose interval straddles zero is
indistinguishable from noise at this many cases.

``spearman`` is the rank correlation of two paired lists (ties take their average rank), and
``bootstrap_spearman`` its interval over the same resampled cases: how well one score orders the
cases as another does (the judge's grades against the reference-based scores).

The generator is seeded (``Bootstrap.seed``), so a report is reproducible to the digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

__all__ = ["Bootstrap", "bootstrap_interval", "bootstrap_spearman", "spearman"]


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


def _ranks(data: Any) -> Any:
    """Average ranks (1-based, ties share their mean rank) along the last axis."""
    less = (data[..., None, :] < data[..., :, None]).sum(axis=-1)
    equal = (data[..., None, :] == data[..., :, None]).sum(axis=-1)
    return less + (equal + 1) / 2.0


def _rank_correlation(x: Any, y: Any) -> Any:
    """Pearson's correlation of the ranks along the last axis; NaN where either is constant."""
    import numpy as np

    rx, ry = _ranks(x), _ranks(y)
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    norm = np.sqrt((rx * rx).sum(axis=-1) * (ry * ry).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (rx * ry).sum(axis=-1) / np.where(norm > 0, norm, 1), np.nan)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation of paired values (rounded to 4 places), or ``None`` when it
    is undefined: fewer than 3 pairs, or either side constant."""
    import numpy as np

    if len(x) != len(y):
        raise ValueError(f"spearman needs paired values, got {len(x)} and {len(y)}")
    if len(x) < 3:
        return None
    rho = float(_rank_correlation(np.asarray(x, dtype=float), np.asarray(y, dtype=float)))
    return None if np.isnan(rho) else round(rho, 4) + 0.0


def bootstrap_spearman(
    x: Sequence[float], y: Sequence[float], bootstrap: Bootstrap | None = None
) -> tuple[float, float] | None:
    """The percentile-bootstrap interval of ``spearman(x, y)`` over resampled pairs; resamples
    where it is undefined (a side constant) are left out. ``None`` when it is undefined."""
    import numpy as np

    bootstrap = bootstrap or Bootstrap()
    if spearman(x, y) is None:
        return None
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(bootstrap.seed)
    picks = rng.integers(0, len(xs), size=(bootstrap.resamples, len(xs)))
    rhos = _rank_correlation(xs[picks], ys[picks])
    rhos = rhos[~np.isnan(rhos)]
    if rhos.size == 0:
        return None
    tail = (1 - bootstrap.confidence) / 2 * 100
    low, high = np.percentile(rhos, [tail, 100 - tail])
    return round(float(low), 4) + 0.0, round(float(high), 4) + 0.0
