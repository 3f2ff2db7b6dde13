"""Key drivers: why the gap exists. Relative weights and Shapley values with bootstrap intervals,
importance-performance quadrants."""

from __future__ import annotations

from cxgap.config import Settings
from cxgap.drivers.analysis import QUADRANTS, Driver, DriverReport, key_drivers
from cxgap.drivers.data import (
    LEVELS,
    OUTCOMES,
    DriverData,
    dimension_drivers,
    item_drivers,
    touchpoint_drivers,
)
from cxgap.drivers.stated import importance_gaps, stated_shares
from cxgap.drivers.weights import pairwise_correlation, relative_weights, shapley_r2
from cxgap.engine import ALL, Engine, Filters
from cxgap.errors import CxgapError
from cxgap.gaps.schemas import Gap


def drivers(
    engine: Engine,
    settings: Settings,
    outcome: str = "nps",
    level: str = "items",
    touchpoint: str | None = None,
    replicates: int = 200,
    seed: int = 0,
    max_rows: int = 200_000,
    filters: Filters = ALL,
) -> DriverReport:
    """Key drivers of `outcome` on item ratings, dimension scores or touchpoint CSAT.

    Items come from the relational survey unless a touchpoint is named (then its transactional survey).
    `filters` narrow the answers to a period, segment and channel.
    """
    if outcome not in OUTCOMES:
        raise CxgapError(f"Unknown outcome '{outcome}'; choose one of {', '.join(OUTCOMES)}.")
    if level not in LEVELS:
        raise CxgapError(f"Unknown driver level '{level}'; choose one of {', '.join(LEVELS)}.")
    if level == "touchpoints":
        data = touchpoint_drivers(engine, settings.touchpoints, outcome, max_rows, filters)
        groups = None
    else:
        kind = "relational" if touchpoint is None else "transactional"
        data = item_drivers(engine, settings.items, outcome, kind, touchpoint, max_rows, filters)
        groups = settings.items
        if level == "dimensions":
            data, groups = dimension_drivers(data, settings.items), None
    a = settings.analysis
    return key_drivers(data, outcome, level, groups, replicates, a.confidence, a.min_n, seed)


__all__ = [
    "LEVELS",
    "OUTCOMES",
    "QUADRANTS",
    "Driver",
    "DriverData",
    "DriverReport",
    "drivers",
    "importance_gaps",
    "importance_knowledge_gaps",
    "key_drivers",
    "pairwise_correlation",
    "relative_weights",
    "shapley_r2",
    "stated_shares",
]


def importance_knowledge_gaps(engine: Engine, settings: Settings, replicates: int = 200) -> list[Gap]:
    """Knowledge gaps in importance (stated vs derived per role and dimension), ready for `gaps.analyze`'s
    `extra`; none when there are no items or no stated importance."""
    shares = stated_shares(engine) if settings.items else {}
    if not shares:
        return []
    derived = drivers(engine, settings, outcome="nps", level="dimensions", replicates=replicates)
    return importance_gaps(shares, derived, settings.analysis.confidence)
