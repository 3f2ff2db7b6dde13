"""Statistics every analysis shares: intervals from sufficient statistics, differences, multiple testing."""

from __future__ import annotations

from cxgap.stats.intervals import (
    Difference,
    Estimate,
    mean_difference,
    mean_interval,
    mean_test,
    normal_difference,
    nps_difference,
    nps_interval,
    proportion_difference,
    sd_from_sums,
    wilson_interval,
)
from cxgap.stats.multiple import benjamini_hochberg

__all__ = [
    "Difference",
    "Estimate",
    "benjamini_hochberg",
    "mean_difference",
    "mean_interval",
    "mean_test",
    "normal_difference",
    "nps_difference",
    "nps_interval",
    "proportion_difference",
    "sd_from_sums",
    "wilson_interval",
]
