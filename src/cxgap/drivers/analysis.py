"""Key driver analysis: which drivers move the outcome, in which direction, how much, and where to concentrate.

Relative weights and Shapley values, each with a bootstrap interval; each driver's direction (the sign of
its standardised coefficient and of its correlation, in words when higher goes with worse); performance
and importance-performance quadrants for drivers on one rating scale.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxgap.drivers.data import DriverData, Scale
from cxgap.drivers.weights import (
    MAX_SHAPLEY_DRIVERS,
    SHAPLEY_PERMUTATIONS,
    pairwise_correlation,
    relative_weights,
    sampled_shapley_r2,
    shapley_r2,
    standardised_coefficients,
)
from cxgap.stats import Estimate, mean_interval

QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}
# what "higher" and "lower" qualify in a driver's words, per outcome (a file's own outcome name otherwise)
OUTCOME_WORDS = {
    "nps": "likelihood to recommend",
    "promoter": "promoter share",
    "csat": "satisfaction",
    "ces": "ease",
    "churn": "churn",
}


@dataclass(frozen=True)
class Driver:
    """One driver: its share of the explained variance by two methods (with intervals), its direction, and
    its performance (mean rating; NaN when the driver is no rating, such as tenure or charges).

    Weights are in R-squared units (they add up to the model's R-squared); `share` is the relative weight
    as a share of R-squared, the number to read as importance. Importance has no sign: `direction` says
    whether higher goes with a higher outcome ("positive"), a lower one ("negative"), or the sign flips
    once the other drivers are held fixed ("mixed"); `in_words` says it in a sentence.
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
    coefficient: float
    coefficient_low: float
    coefficient_high: float
    correlation: float
    correlation_low: float
    correlation_high: float
    direction: str
    in_words: str

    @property
    def has_performance(self) -> bool:
        """True for a rating driver, whose mean rating is its performance."""
        return not math.isnan(self.performance)


@dataclass(frozen=True)
class DriverReport:
    """Key drivers of one outcome, the model's R-squared with its interval, and notes in words; `scale` is
    the rating scale all drivers share ("1-7"), or "" when they do not (then there are no quadrants)."""

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
    scale: str = ""
    needed: int = 0

    @property
    def measured(self) -> bool:
        """Whether the model could be fitted (enough rows with an outcome for its drivers)."""
        return bool(self.drivers) and not math.isnan(self.r_squared)

    def fit(self) -> str:
        """The model's R-squared with its interval and n, or, below what the model needs, 'insufficient
        data' with n and the minimum (never a NaN dressed as a figure)."""
        if not self.measured:
            return (
                f"insufficient data: n={self.rows:,} rows with an outcome (at least {self.needed:,} needed)"
            )
        return (
            f"R² = {self.r_squared:.2f} [{self.r_squared_low:.2f}, {self.r_squared_high:.2f}], "
            f"n={self.rows:,}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per driver, most important first."""
        frame = pd.DataFrame([asdict(d) for d in self.drivers])
        return frame.sort_values("share", ascending=False, ignore_index=True) if len(frame) else frame

    def ranked(self) -> list[Driver]:
        """Drivers by importance (relative weight), largest first."""
        return sorted(self.drivers, key=lambda d: -d.relative_weight)

    def against(self) -> list[str]:
        """In words, most important first, every driver whose higher values go with a lower outcome (or
        whose sign flips once the others are held fixed): what an unsigned importance would hide."""
        return [d.in_words for d in self.ranked() if d.direction != "positive"]


def _estimates(corr: NDArray[np.float64], rng: np.random.Generator, exact_up_to: int) -> NDArray[np.float64]:
    """Relative weights, Shapley values, standardised coefficients and correlations, one block of p each;
    Shapley exactly up to `exact_up_to` drivers, by sampled orders of entry beyond."""
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    exact = len(rxy) <= exact_up_to
    shapley = shapley_r2(rxx, rxy) if exact else sampled_shapley_r2(rxx, rxy, rng)
    return np.concatenate([relative_weights(rxx, rxy), shapley, standardised_coefficients(rxx, rxy), rxy])


def _performance(column: NDArray[np.float64], scale: Scale | None, confidence: float) -> Estimate:
    """Mean rating with its interval; NaN (with the count of answers) for a driver that is no rating."""
    answered = column[~np.isnan(column)]
    if scale is None:
        return Estimate(math.nan, math.nan, math.nan, len(answered), math.nan, confidence)
    return mean_interval(len(answered), float(answered.sum()), float((answered**2).sum()), confidence)


def _quadrants(
    shares: NDArray[np.float64], performance: NDArray[np.float64], negative: NDArray[np.bool_]
) -> list[str]:
    """Importance-performance quadrants split at the drivers' means; for a negative driver (higher goes
    with a lower outcome) a rating below the mean is the good side."""
    important = shares >= np.nanmean(shares)
    above = performance >= np.nanmean(performance)
    good = np.where(negative, ~above, above)
    return [QUADRANTS[(bool(i), bool(g))] for i, g in zip(important, good, strict=True)]


def _scale_label(scale: Scale) -> str:
    return f"{scale[0]:g}-{scale[1]:g}"


def _scale_notes(names: tuple[str, ...], scales: tuple[Scale | None, ...]) -> tuple[str, list[str]]:
    """The rating scale all drivers share ("" when none), and notes on what that leaves out."""
    unrated = [n for n, s in zip(names, scales, strict=True) if s is None]
    distinct = sorted({s for s in scales if s is not None})
    notes = []
    if len(unrated) == len(names):
        notes.append(
            "no driver is on a rating scale (they are counts, amounts or yes/no), so no performance (mean "
            "rating) and no importance-performance quadrants"
        )
    elif unrated:
        notes.append(
            "performance (mean rating) is shown only for drivers on a rating scale: no performance for "
            f"{', '.join(unrated)}, and so no importance-performance quadrants"
        )
    elif len(distinct) > 1:
        notes.append(
            f"the drivers are on different rating scales ({', '.join(map(_scale_label, distinct))}): "
            "no importance-performance quadrants, which compare like with like"
        )
    return (_scale_label(distinct[0]) if not unrated and len(distinct) == 1 else ""), notes


def _in_words(name: str, outcome: str, beta: float, r: Estimate) -> tuple[str, str]:
    """A driver's direction and its sentence, from its standardised coefficient and its correlation."""
    noun = OUTCOME_WORDS.get(outcome, outcome)
    corr = f"r = {r.value:+.2f} [{r.low:+.2f}, {r.high:+.2f}]"
    if (beta >= 0) != (r.value >= 0):
        alone, held = ("higher", "lower") if r.value >= 0 else ("lower", "higher")
        return "mixed", (
            f"{name} goes with {alone} {noun} on its own ({corr}) but with {held} {noun} once the other "
            f"drivers are held fixed (standardised coefficient {beta:+.2f})"
        )
    direction, more = ("positive", "higher") if r.value >= 0 else ("negative", "lower")
    unsure = "; the interval includes no association" if r.low <= 0 <= r.high else ""
    return direction, f"higher {name} goes with {more} {noun} ({corr}){unsure}"


def key_drivers(
    data: DriverData,
    outcome: str,
    level: str,
    groups: dict[str, str] | None = None,
    replicates: int = 200,
    confidence: float = 0.95,
    min_n: int = 30,
    seed: int = 0,
    exact_shapley_up_to: int = MAX_SHAPLEY_DRIVERS,
) -> DriverReport:
    """Relative weights, Shapley values and directions of `data`'s drivers for its outcome, with bootstrap
    intervals.

    Missing answers are left out pair by pair (pairwise correlations), so a "not applicable" on one item
    neither drops the row nor counts as a low score. Below `min_n` complete outcomes nothing is estimated.
    Performance is the mean of rating drivers only; quadrants need every driver on one rating scale.
    """
    values = data.values[~np.isnan(data.values[:, -1])]
    n, p = len(values), len(data.drivers)
    notes = []
    if data.sampled:
        notes.append(f"computed on a deterministic sample of {n:,} of {data.rows_available:,} rows")
    needed = max(min_n, p + 2)
    if n < needed:
        notes.append(f"insufficient data: {n} rows with an outcome (at least {needed} needed)")
        return DriverReport(
            outcome,
            level,
            (),
            math.nan,
            math.nan,
            math.nan,
            n,
            data.rows_available,
            0,
            tuple(notes),
            "",
            needed,
        )
    if n < 10 * p:
        notes.append(
            f"small sample for {p} drivers (n={n} < {10 * p}): weights are unstable, see their intervals"
        )
    if p > exact_shapley_up_to:
        notes.append(
            f"Shapley values by permutation sampling ({SHAPLEY_PERMUTATIONS:,} orders of entry per estimate; "
            f"exact up to {MAX_SHAPLEY_DRIVERS} drivers)"
        )
    rng = np.random.default_rng(seed)  # the bootstrap's resamples
    orders = np.random.default_rng([seed, 1])  # Shapley's sampled orders of entry, apart from the resamples
    point = _estimates(pairwise_correlation(values), orders, exact_shapley_up_to)
    draws = np.array(
        [
            _estimates(
                pairwise_correlation(values, rng.poisson(1.0, n).astype(float)), orders, exact_shapley_up_to
            )
            for _ in range(replicates)
        ]
    )
    scales = data.driver_scales()
    scale, scale_notes = _scale_notes(data.drivers, scales)
    drivers = _drivers(
        data.drivers, values, scales, point, draws, outcome, groups or {}, confidence, bool(scale)
    )
    flipped = [d.name for d in drivers if d.quadrant and d.direction == "negative"]
    if flipped:
        scale_notes.append(
            f"in the quadrants a high rating counts as poor performance for {', '.join(flipped)}"
        )
    tail = (1 - confidence) / 2 * 100
    r2_low, r2_high = np.percentile(draws[:, :p].sum(axis=1), [tail, 100 - tail])
    return DriverReport(
        outcome,
        level,
        drivers,
        float(point[:p].sum()),
        float(r2_low),
        float(r2_high),
        n,
        data.rows_available,
        replicates,
        tuple(notes + scale_notes),
        scale,
        needed,
    )


def _drivers(
    names: tuple[str, ...],
    values: NDArray[np.float64],
    scales: tuple[Scale | None, ...],
    point: NDArray[np.float64],
    draws: NDArray[np.float64],
    outcome: str,
    groups: dict[str, str],
    confidence: float,
    quadrants: bool,
) -> tuple[Driver, ...]:
    """Each driver from the point estimates and bootstrap draws (blocks of p: relative weight, Shapley,
    standardised coefficient, correlation), with its share of R-squared, performance and words."""
    p = len(names)
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(draws, [tail, 100 - tail], axis=0)
    r2, r2_draws = float(point[:p].sum()), draws[:, :p].sum(axis=1)
    shares = point[:p] / r2 if r2 > 0 else np.full(p, np.nan)
    share_draws = draws[:, :p] / np.where(r2_draws > 0, r2_draws, np.nan)[:, None]
    share_low, share_high = np.nanpercentile(share_draws, [tail, 100 - tail], axis=0)
    perf = [_performance(values[:, j], s, confidence) for j, s in enumerate(scales)]
    negative = (point[2 * p : 3 * p] < 0) & (point[3 * p :] < 0)
    quadrant = _quadrants(shares, np.array([e.value for e in perf]), negative) if quadrants else [""] * p
    out = []
    for j, name in enumerate(names):
        est = [(float(point[k * p + j]), float(low[k * p + j]), float(high[k * p + j])) for k in range(4)]
        r = Estimate(*est[3], n=perf[j].n, se=math.nan, confidence=confidence)
        direction, words = _in_words(name, outcome, est[2][0], r)
        share = (float(shares[j]), float(share_low[j]), float(share_high[j]))
        rated = (perf[j].value, perf[j].low, perf[j].high)
        group = groups.get(name, name)
        out.append(
            Driver(
                name,
                group,
                *est[0],
                *share,
                *est[1],
                *rated,
                perf[j].n,
                quadrant[j],
                *est[2],
                *est[3],
                direction,
                words,
            )
        )
    return tuple(out)
