"""Key driver analysis: which drivers move the outcome, how much, and where to concentrate.

Relative weights and Shapley values, each with a bootstrap interval, plus each driver's performance and
its importance-performance quadrant.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxgap.drivers.data import DriverData
from cxgap.drivers.weights import MAX_SHAPLEY_DRIVERS, pairwise_correlation, relative_weights, shapley_r2
from cxgap.stats import Estimate, mean_interval

QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


@dataclass(frozen=True)
class Driver:
    """One driver: its share of the explained variance by two methods (with intervals) and its performance.

    Weights are in R-squared units (they add up to the model's R-squared); `share` is the relative weight
    as a share of R-squared, the number to read as importance.
    """

    name: str
    group: str
    relative_weight: float
    relative_low: float
    relative_high: float
    share: float
    share_low: float
    share_high: float
    shapley: float
    shapley_low: float
    shapley_high: float
    performance: float
    performance_low: float
    performance_high: float
    answers: int
    quadrant: str


@dataclass(frozen=True)
class DriverReport:
    """Key drivers of one outcome, the model's R-squared with its interval, and notes in words."""

    outcome: str
    level: str
    drivers: tuple[Driver, ...]
    r_squared: float
    r_squared_low: float
    r_squared_high: float
    rows: int
    rows_available: int
    replicates: int
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per driver, most important first."""
        frame = pd.DataFrame([asdict(d) for d in self.drivers])
        return frame.sort_values("share", ascending=False, ignore_index=True) if len(frame) else frame

    def ranked(self) -> list[Driver]:
        """Drivers by importance (relative weight), largest first."""
        return sorted(self.drivers, key=lambda d: -d.relative_weight)


def _weights(corr: NDArray[np.float64], shapley: bool) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    rw = relative_weights(rxx, rxy)
    return rw, (shapley_r2(rxx, rxy) if shapley else np.full(len(rw), np.nan))


def _performance(column: NDArray[np.float64], confidence: float) -> Estimate:
    answered = column[~np.isnan(column)]
    return mean_interval(len(answered), float(answered.sum()), float((answered**2).sum()), confidence)


def _quadrants(shares: NDArray[np.float64], performance: NDArray[np.float64]) -> list[str]:
    important = shares >= np.nanmean(shares)
    good = performance >= np.nanmean(performance)
    return [QUADRANTS[(bool(i), bool(g))] for i, g in zip(important, good, strict=True)]


def key_drivers(
    data: DriverData,
    outcome: str,
    level: str,
    groups: dict[str, str] | None = None,
    replicates: int = 200,
    confidence: float = 0.95,
    min_n: int = 30,
    seed: int = 0,
    quadrants: bool = True,
) -> DriverReport:
    """Relative weights and Shapley values of `data`'s drivers for its outcome, with bootstrap intervals.

    Missing answers are left out pair by pair (pairwise correlations), so a "not applicable" on one item
    neither drops the row nor counts as a low score. Below `min_n` complete outcomes nothing is estimated.
    Importance-performance quadrants need drivers on one scale; pass `quadrants=False` when they are not.
    """
    values = data.values[~np.isnan(data.values[:, -1])]
    n, p = len(values), len(data.drivers)
    notes = []
    if data.sampled:
        notes.append(f"computed on a deterministic sample of {n:,} of {data.rows_available:,} rows")
    if n < max(min_n, p + 2):
        notes.append(f"insufficient data: {n} rows with an outcome (at least {max(min_n, p + 2)} needed)")
        return DriverReport(
            outcome, level, (), math.nan, math.nan, math.nan, n, data.rows_available, 0, tuple(notes)
        )
    if n < 10 * p:
        notes.append(
            f"small sample for {p} drivers (n={n} < {10 * p}): weights are unstable, see their intervals"
        )
    shapley = p <= MAX_SHAPLEY_DRIVERS
    if not shapley:
        notes.append(f"Shapley values need {MAX_SHAPLEY_DRIVERS} drivers or fewer; relative weights only")
    rw, sh = _weights(pairwise_correlation(values), shapley)
    rng = np.random.default_rng(seed)
    draws = np.array(
        [
            np.concatenate(_weights(pairwise_correlation(values, rng.poisson(1.0, n).astype(float)), shapley))
            for _ in range(replicates)
        ]
    )
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(draws, tail, axis=0), np.nanpercentile(draws, 100 - tail, axis=0)
    r2_draws = draws[:, :p].sum(axis=1)
    share_draws = draws[:, :p] / np.where(r2_draws > 0, r2_draws, np.nan)[:, None]
    share_low = np.nanpercentile(share_draws, tail, axis=0)
    share_high = np.nanpercentile(share_draws, 100 - tail, axis=0)
    r2 = float(rw.sum())
    perf = [_performance(values[:, j], confidence) for j in range(p)]
    shares = rw / r2 if r2 > 0 else np.full(p, np.nan)
    quadrant = _quadrants(shares, np.array([e.value for e in perf])) if quadrants else [""] * p
    drivers = tuple(
        Driver(
            name,
            (groups or {}).get(name, name),
            float(rw[j]),
            float(low[j]),
            float(high[j]),
            float(shares[j]),
            float(share_low[j]),
            float(share_high[j]),
            float(sh[j]),
            float(low[p + j]),
            float(high[p + j]),
            perf[j].value,
            perf[j].low,
            perf[j].high,
            perf[j].n,
            quadrant[j],
        )
        for j, name in enumerate(data.drivers)
    )
    r2_low, r2_high = np.percentile(r2_draws, [tail, 100 - tail])
    return DriverReport(
        outcome,
        level,
        drivers,
        r2,
        float(r2_low),
        float(r2_high),
        n,
        data.rows_available,
        replicates,
        tuple(notes),
    )
