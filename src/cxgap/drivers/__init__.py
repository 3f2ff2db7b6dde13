"""Key drivers: why the gap exists. Relative weights and Shapley values with bootstrap intervals, each
driver's direction (in words when higher goes with worse), importance-performance quadrants for ratings."""

from __future__ import annotations

from dataclasses import replace

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
from cxgap.engine import ALL, Engine, Filters, settings_digest, with_data_defaults
from cxgap.errors import CxgapError
from cxgap.gaps.schemas import Gap, MissingGap


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
    `filters` narrow the answers to a period, segment and channel. Without any answer to read, the
    report's one note names the answers that would measure it.
    """
    if outcome not in OUTCOMES:
        raise CxgapError(f"Unknown outcome '{outcome}'; choose one of {', '.join(OUTCOMES)}.")
    if level not in LEVELS:
        raise CxgapError(f"Unknown driver level '{level}'; choose one of {', '.join(LEVELS)}.")
    settings = with_data_defaults(engine, settings)
    kind = "relational" if touchpoint is None and level != "touchpoints" else "transactional"
    if level == "touchpoints":
        data = touchpoint_drivers(engine, settings.touchpoints, outcome, max_rows, filters)
        groups = None
    else:
        data = item_drivers(engine, settings.items, outcome, kind, touchpoint, max_rows, filters)
        groups = settings.items
        if level == "dimensions":
            data, groups = dimension_drivers(data, settings.items), None
    a = settings.analysis
    report = key_drivers(data, outcome, level, groups, replicates, a.confidence, a.min_n, seed)
    if report.rows == 0:  # say which data would measure it, not only that there is none
        needed = max(a.min_n, len(data.drivers) + 2)  # as key_drivers asks
        report = replace(report, notes=(_no_rows(level, kind, outcome, needed),))
    return report


def derived_importance(
    engine: Engine, settings: Settings, replicates: int = 100, filters: Filters = ALL
) -> DriverReport:
    """The driver analysis behind stated vs derived importance (nps on dimensions, in `filters`' slice
    without its touchpoint), kept in the store for the data and settings it was computed on: its bootstrap
    is most of `analyze`'s own work, and an unchanged store gives the same report every time (fixed seed)."""
    whole = replace(filters, touchpoint=None)
    key = ("derived-importance", replicates, repr(whole), settings_digest(settings))
    return engine.remembered(
        key,
        lambda: drivers(
            engine, settings, outcome="nps", level="dimensions", replicates=replicates, filters=whole
        ),
    )


def _no_rows(level: str, kind: str, outcome: str, min_n: int) -> str:
    """Why a driver analysis has no rows at all, in words: the answers it reads are missing."""
    with_outcome = (
        "from customers whose churn is known" if outcome == "churn" else f"with {OUTCOMES[outcome]}"
    )
    if level == "touchpoints":
        what = f"customers who rated touchpoints (transactional CSAT) {with_outcome}"
    else:
        what = f"{kind} survey answers that rate the configured items, {with_outcome}"
    return f"insufficient data: the store has no {what} (at least {min_n} needed)"


__all__ = [
    "LEVELS",
    "OUTCOMES",
    "QUADRANTS",
    "Driver",
    "DriverData",
    "DriverReport",
    "derived_importance",
    "drivers",
    "importance_gaps",
    "importance_knowledge_gaps",
    "key_drivers",
    "pairwise_correlation",
    "relative_weights",
    "shapley_r2",
    "stated_shares",
]


def importance_knowledge_gaps(
    engine: Engine,
    settings: Settings,
    replicates: int = 100,
    filters: Filters = ALL,
    missing: list[MissingGap] | None = None,
    derived: DriverReport | None = None,
) -> list[Gap]:
    """Knowledge gaps in importance (stated vs derived per role and dimension), ready for `gaps.analyze`'s
    `extra`; none when there are no items or no stated importance.

    The derived side reads the customers' answers in `filters`' period, segment and channel (not its
    touchpoint: these gaps are about the company as a whole, as the relational survey is); leaders' stated
    importance stays whole. When the slice has too few answers to derive importance, the reason is added
    to `missing` (insufficient data, with n and the minimum). `derived`: that driver analysis (nps on
    dimensions in the slice without its touchpoint, `replicates` draws) when the caller already has it.
    """
    shares = stated_shares(engine) if settings.items else {}
    if not shares:
        return []
    if derived is None:
        derived = derived_importance(engine, settings, replicates, filters)
    if not derived.measured and missing is not None:
        missing.append(
            MissingGap(
                "knowledge",
                "more relational answers to derive importance: insufficient data "
                f"(n={derived.rows} < {derived.needed})",
            )
        )
    return importance_gaps(shares, derived, settings.analysis.confidence)
