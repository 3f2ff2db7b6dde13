"""How many answers an experiment needs: sample size for a target NPS (or share, or mean) difference."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class SampleSize:
    """Answers needed per arm (and in all) to detect `effect` with the given power at `alpha`."""

    per_arm: int
    total: int
    effect: float
    power: float
    alpha: float
    sd: float


def _n(sd: float, effect: float, alpha: float, power: float) -> int:
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(math.ceil(2 * (z * sd / effect) ** 2))


def nps_sample_size(
    effect: float, promoters: float = 0.35, detractors: float = 0.25, alpha: float = 0.05, power: float = 0.80
) -> SampleSize:
    """Respondents per arm for a two-sided test to detect an NPS difference of `effect` points.

    Per respondent NPS is +100, 0 or -100, so its variance is 100^2 (p + d - (p - d)^2) for shares p, d.
    """
    if not effect > 0:
        raise ValueError("the NPS difference to detect must be positive")
    if not (0 <= promoters and 0 <= detractors and promoters + detractors <= 1):
        raise ValueError("promoter and detractor shares must lie in 0..1 and add up to at most 1")
    sd = 100 * math.sqrt(promoters + detractors - (promoters - detractors) ** 2)
    n = _n(sd, effect, alpha, power)
    return SampleSize(n, 2 * n, effect, power, alpha, sd)


def share_sample_size(effect: float, base: float, alpha: float = 0.05, power: float = 0.80) -> SampleSize:
    """Customers per arm to detect a change of `effect` in a share around `base` (e.g. churn 0.12)."""
    if not effect > 0 or not 0 < base < 1:
        raise ValueError("the share must lie in 0..1 and the difference to detect must be positive")
    sd = math.sqrt(base * (1 - base))
    n = _n(sd, effect, alpha, power)
    return SampleSize(n, 2 * n, effect, power, alpha, sd)
