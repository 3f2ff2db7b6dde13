"""Intervals from sufficient statistics (counts, sums, sums of squares) that the engine aggregates.

Each function takes what a GROUP BY can return, never raw rows, so any backend can do the heavy work.
References: NPS variance (p+ + p- - (p+ - p-)^2)/n of the multinomial; Wilson (1927) score interval;
Student t for means; Welch's t for differences of means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its n and a confidence interval."""

    value: float
    low: float
    high: float
    n: int
    se: float
    confidence: float = 0.95


@dataclass(frozen=True)
class Difference:
    """B minus A with its interval and two-sided p-value."""

    value: float
    low: float
    high: float
    p_value: float
    n_a: int
    n_b: int
    confidence: float = 0.95


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _nan_estimate(n: int, confidence: float) -> Estimate:
    nan = float("nan")
    return Estimate(nan, nan, nan, n, nan, confidence)


def nps_interval(promoters: int, passives: int, detractors: int, confidence: float = 0.95) -> Estimate:
    """NPS (-100..100) with the normal interval of its multinomial variance."""
    n = promoters + passives + detractors
    if n == 0:
        return _nan_estimate(0, confidence)
    p_pro, p_det = promoters / n, detractors / n
    score = p_pro - p_det
    se = math.sqrt(max(p_pro + p_det - score**2, 0.0) / n)
    half = _z(confidence) * se
    low, high = max(score - half, -1.0), min(score + half, 1.0)
    return Estimate(100 * score, 100 * low, 100 * high, n, 100 * se, confidence)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """A proportion (0..1) with the Wilson score interval, which behaves near 0 and 1 and at small n."""
    if n == 0:
        return _nan_estimate(0, confidence)
    z = _z(confidence)
    p = successes / n
    denominator = 1 + z**2 / n
    center = (p + z**2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    low, high = max(center - half, 0.0), min(center + half, 1.0)  # no -0.0 from rounding at the ends
    return Estimate(p, low, high, n, math.sqrt(p * (1 - p) / n), confidence)


def _variance(n: int, total: float, total_sq: float) -> float:
    return max((total_sq - total**2 / n) / (n - 1), 0.0) if n > 1 else float("nan")


def sd_from_sums(n: int, total: float, total_sq: float) -> float:
    """Sample standard deviation from n, sum and sum of squares (NaN below two values)."""
    return math.sqrt(_variance(n, total, total_sq)) if n > 1 else float("nan")


def mean_test(
    n: int, total: float, total_sq: float, reference: float = 0.0, confidence: float = 0.95
) -> Difference:
    """Mean minus a fixed reference, with its Student-t interval and one-sample t-test (n_b = 0: no second sample)."""
    diff = total / n - reference
    se = sd_from_sums(n, total, total_sq) / math.sqrt(n)
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    p_value = float(2 * stats.t.sf(abs(diff) / se, n - 1)) if se > 0 else 0.0
    return Difference(diff, diff - t * se, diff + t * se, p_value, n, 0, confidence)


def mean_interval(n: int, total: float, total_sq: float, confidence: float = 0.95) -> Estimate:
    """A mean with its Student-t interval, from n, sum and sum of squares."""
    if n == 0:
        return _nan_estimate(0, confidence)
    mean = total / n
    if n == 1:
        return Estimate(mean, float("nan"), float("nan"), 1, float("nan"), confidence)
    se = math.sqrt(_variance(n, total, total_sq) / n)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return Estimate(mean, mean - half, mean + half, n, se, confidence)


def normal_difference(diff: float, se: float, n_a: int, n_b: int, confidence: float = 0.95) -> Difference:
    """A difference with a known standard error: normal interval and two-sided z-test (se 0: exact)."""
    if not se > 0:
        p = 1.0 if diff == 0 else 0.0
        return Difference(diff, diff, diff, p, n_a, n_b, confidence)
    half = _z(confidence) * se
    p_value = float(2 * stats.norm.sf(abs(diff) / se))
    return Difference(diff, diff - half, diff + half, p_value, n_a, n_b, confidence)


def nps_difference(a: tuple[int, int, int], b: tuple[int, int, int], confidence: float = 0.95) -> Difference:
    """NPS of B minus NPS of A (points), from (promoters, passives, detractors) of each, with a z-test."""
    ea, eb = nps_interval(*a), nps_interval(*b)
    se = math.sqrt(ea.se**2 + eb.se**2)
    return normal_difference(eb.value - ea.value, se, ea.n, eb.n, confidence)


def proportion_difference(a: tuple[int, int], b: tuple[int, int], confidence: float = 0.95) -> Difference:
    """Share of B minus share of A, from (successes, n) of each: unpooled interval, pooled z-test."""
    (sa, na), (sb, nb) = a, b
    pa, pb = sa / na, sb / nb
    diff = pb - pa
    half = _z(confidence) * math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    pooled = (sa + sb) / (na + nb)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    p_value = float(2 * stats.norm.sf(abs(diff) / se0)) if se0 > 0 else (1.0 if diff == 0 else 0.0)
    return Difference(diff, diff - half, diff + half, p_value, na, nb, confidence)


def mean_difference(
    a: tuple[int, float, float], b: tuple[int, float, float], confidence: float = 0.95
) -> Difference:
    """Mean of B minus mean of A from (n, sum, sum of squares) of each, with Welch's t."""
    (na, ta, qa), (nb, tb, qb) = a, b
    va, vb = _variance(na, ta, qa) / na, _variance(nb, tb, qb) / nb
    diff = tb / nb - ta / na
    se = math.sqrt(va + vb)
    if not se > 0:
        return normal_difference(diff, se, na, nb, confidence)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    t = float(stats.t.ppf(0.5 + confidence / 2, df))
    p_value = float(2 * stats.t.sf(abs(diff) / se, df))
    return Difference(diff, diff - t * se, diff + t * se, p_value, na, nb, confidence)
