"""Nonresponse weights by raking, and scores with intervals from the weights' effective n.

Raking (iterative proportional fitting, Deming and Stephan 1940) adjusts unit base weights until the weighted
respondents match the customer base's share on each of several categorical variables in turn (segment,
tenure band, value band...), so a group that answered less counts more. It works on cells: one row per
combination of categories with how many respondents share it (`counts`), which is all a GROUP BY returns.

The price of weighting is precision: Kish's design effect 1 + CV² of the weights (n·Σw²/(Σw)²) says how
much the variance grows, and the effective n (Σw)²/Σw² is the sample size the weighted figure is worth.
Intervals here use the effective n: NPS by the multinomial variance of the weighted shares, means by
Student's t on n_eff - 1 degrees of freedom (equal to the usual intervals when every weight is 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from cxgap.errors import CxgapError
from cxgap.stats import Estimate

Array = npt.NDArray[np.float64]
Margins = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True, eq=False)
class Weights:
    """Raking's result: one weight per row of the raked frame (each of the row's `counts` respondents
    carries it), scaled so they average 1 over the respondents."""

    weights: Array
    counts: Array
    converged: bool
    iterations: int
    design_effect: float
    effective_n: float
    trimmed: bool = False
    variables: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        """How many respondents were weighted."""
        return int(round(float(self.counts.sum())))

    def to_frame(self) -> pd.DataFrame:
        """One row per raked row: its respondents and their weight."""
        return pd.DataFrame({"count": self.counts, "weight": self.weights})


def effective_n(weights: npt.ArrayLike, counts: npt.ArrayLike | None = None) -> float:
    """Kish's effective sample size (Σw)²/Σw² over the respondents (a row's weight counted `counts` times)."""
    w, c = _arrays(weights, counts)
    squares = float((c * w * w).sum())
    return float((c * w).sum()) ** 2 / squares if squares > 0 else 0.0


def design_effect(weights: npt.ArrayLike, counts: npt.ArrayLike | None = None) -> float:
    """Kish's design effect of unequal weights, 1 + CV² = n·Σw²/(Σw)² (1: no loss of precision)."""
    w, c = _arrays(weights, counts)
    total = float((c * w).sum())
    return float(c.sum()) * float((c * w * w).sum()) / total**2 if total > 0 else float("nan")


def _arrays(weights: npt.ArrayLike, counts: npt.ArrayLike | None) -> tuple[Array, Array]:
    w = np.asarray(weights, dtype=np.float64)
    c = np.ones_like(w) if counts is None else np.asarray(counts, dtype=np.float64)
    return w, c


def _targets(frame: pd.DataFrame, margins: Margins, counts: Array) -> dict[str, pd.Series]:
    """Each margin as shares summing to 1, after checking that respondents and targets cover each other."""
    targets = {}
    for variable, wanted in margins.items():
        if variable not in frame.columns:
            raise CxgapError(f"The margin '{variable}' is not a column of the respondents' frame.")
        shares = pd.Series({str(k): float(v) for k, v in wanted.items()}, dtype=np.float64)
        if (shares < 0).any() or not shares.sum() > 0:
            raise CxgapError(f"The margin '{variable}' needs non-negative targets with a positive total.")
        shares = shares / shares.sum()
        present = pd.Series(counts, index=frame[variable].astype(str)).groupby(level=0).sum()
        for category, share in shares.items():
            if share > 0 and present.get(category, 0) <= 0:
                raise CxgapError(f"{variable} '{category}' has no respondents; merge it or drop the margin.")
        for category, count in present.items():
            if count > 0 and shares.get(category, 0.0) <= 0:
                raise CxgapError(
                    f"{variable} '{category}' has respondents but no share in the target margin; "
                    "add it to the margin or merge it."
                )
        targets[variable] = shares
    return targets


def _fit(codes: dict[str, npt.NDArray[np.intp]], shares: dict[str, Array], c: Array, w: Array) -> float:
    """One raking sweep in place: scale the weights to each margin in turn; the largest share still off."""
    for variable, code in codes.items():
        totals = np.bincount(code, weights=c * w, minlength=len(shares[variable]))
        factor = np.divide(
            shares[variable] * (c * w).sum(), totals, out=np.ones_like(totals), where=totals > 0
        )
        w *= factor[code]
    return _misfit(codes, shares, c, w)


def _misfit(codes: dict[str, npt.NDArray[np.intp]], shares: dict[str, Array], c: Array, w: Array) -> float:
    total = (c * w).sum()
    return max(
        float(np.abs(np.bincount(code, weights=c * w, minlength=len(shares[v])) / total - shares[v]).max())
        for v, code in codes.items()
    )


def rake(
    frame: pd.DataFrame,
    margins: Margins,
    max_iter: int = 100,
    tol: float = 1e-8,
    trim: tuple[float, float] | None = None,
    counts: str | None = None,
) -> Weights:
    """Rake the respondents in `frame` (one row per respondent, or per cell with its `counts` column) to
    `margins` ({variable: {category: target share or count}}); converged when every weighted share is
    within `tol` of its target. `trim` = (low, high) caps the weights at those multiples of their mean
    after each sweep, and the next sweep re-rakes, so extreme weights are bounded while the margins still
    fit where they can (`converged` says whether both hold). A target category without respondents, or
    respondents in a category without a target, is an error naming it."""
    c = frame[counts].to_numpy(np.float64) if counts else np.ones(len(frame))
    if len(frame) == 0 or not c.sum() > 0:
        raise CxgapError("There are no respondents to weight.")
    if not margins:
        raise CxgapError("Raking needs at least one margin to weight to.")
    if trim is not None and not 0 <= trim[0] <= 1 <= trim[1]:
        raise CxgapError(f"trim = {trim} must be (low, high) multiples of the mean with low <= 1 <= high.")
    targets = _targets(frame, margins, c)
    codes, shares = {}, {}
    for variable, target in targets.items():
        categories = pd.Index(target.index)
        codes[variable] = categories.get_indexer(frame[variable].astype(str)).clip(min=0)
        shares[variable] = target.to_numpy(np.float64)
    w = np.ones(len(frame))
    converged, iterations, trimmed = False, 0, False
    while iterations < max_iter and not converged:
        iterations += 1
        misfit = _fit(codes, shares, c, w)
        if trim is not None:
            mean = (c * w).sum() / c.sum()
            capped = np.clip(w, trim[0] * mean, trim[1] * mean)
            trimmed = trimmed or bool((capped != w).any())
            w[:] = capped
            misfit = _misfit(codes, shares, c, w)
        converged = misfit < tol
    w *= c.sum() / (c * w).sum()
    return Weights(
        w, c, converged, iterations, design_effect(w, c), effective_n(w, c), trimmed, tuple(targets)
    )


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def weighted_nps(
    weights: npt.ArrayLike,
    counts: npt.ArrayLike,
    promoters: npt.ArrayLike,
    detractors: npt.ArrayLike,
    confidence: float = 0.95,
) -> Estimate:
    """Weighted NPS (points) from per-row weights and each row's respondents, promoters and detractors,
    with the multinomial variance (p₊ + p₋ - (p₊ - p₋)²)/n_eff of the weighted shares. `n` is the number
    of respondents; the interval is as wide as the effective n makes it."""
    w, c = _arrays(weights, counts)
    total = float((c * w).sum())
    n = int(round(float(c.sum())))
    if not total > 0:
        nan = float("nan")
        return Estimate(nan, nan, nan, n, nan, confidence)
    p_pro = float((w * np.asarray(promoters, dtype=np.float64)).sum()) / total
    p_det = float((w * np.asarray(detractors, dtype=np.float64)).sum()) / total
    score = p_pro - p_det
    se = math.sqrt(max(p_pro + p_det - score**2, 0.0) / effective_n(w, c))
    half = _z(confidence) * se
    low, high = max(score - half, -1.0), min(score + half, 1.0)
    return Estimate(100 * score, 100 * low, 100 * high, n, 100 * se, confidence)


def weighted_mean(
    weights: npt.ArrayLike,
    counts: npt.ArrayLike,
    totals: npt.ArrayLike,
    totals_sq: npt.ArrayLike,
    confidence: float = 0.95,
) -> Estimate:
    """Weighted mean (CSAT, CES) from per-row weights and each row's respondents, sum and sum of squares,
    with a Student-t interval on the effective n: se² = s²_w/(n_eff - 1), where s²_w is the weighted
    variance around the weighted mean; with equal weights, exactly the usual t interval."""
    w, c = _arrays(weights, counts)
    total = float((c * w).sum())
    n = int(round(float(c.sum())))
    nan = float("nan")
    if not total > 0:
        return Estimate(nan, nan, nan, n, nan, confidence)
    mean = float((w * np.asarray(totals, dtype=np.float64)).sum()) / total
    n_eff = effective_n(w, c)
    if n_eff <= 1:
        return Estimate(mean, nan, nan, n, nan, confidence)
    second = float((w * np.asarray(totals_sq, dtype=np.float64)).sum()) / total
    se = math.sqrt(max(second - mean**2, 0.0) / (n_eff - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n_eff - 1)) * se
    return Estimate(mean, mean - half, mean + half, n, se, confidence)
