"""All six gaps in one run: measured by the backend, corrected together (Benjamini-Hochberg), prioritised."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters, with_data_defaults
from cxgap.gaps.items import item_gaps
from cxgap.gaps.operations import operational_gaps
from cxgap.gaps.schemas import Gap, GapReport, MissingGap
from cxgap.gaps.voice import (
    beliefs_sums,
    customer_gaps,
    headline,
    headline_gap,
    item_sums,
    knowledge_gaps,
    missing_voice,
    perception_gaps,
)
from cxgap.stats import benjamini_hochberg

if TYPE_CHECKING:
    from cxgap.drivers import DriverReport

# bootstrap draws of the driver analysis behind stated-vs-derived importance: the dashboard's drivers page
# uses the same, so one computation serves both and they show the same weights
IMPORTANCE_REPLICATES = 100


def _reach(engine: Engine) -> dict[str, float]:
    """Share of customers who touched each touchpoint (1.0 stands for the company as a whole)."""
    t = engine.table("customer_touchpoints")  # one row per customer and touchpoint, kept by the store
    total = engine.table("customers").count().execute()
    if not total:
        return {}
    frame = t.group_by("touchpoint").aggregate(customers=t.count()).execute()
    return {str(r["touchpoint"]): min(float(r["customers"]) / total, 1.0) for r in frame.to_dict("records")}


def _segment_shares(engine: Engine) -> dict[str | None, float]:
    """Each segment's share of customers (None, the whole base, is 1.0)."""
    c = engine.table("customers")
    frame = c.group_by("segment").aggregate(n=c.count()).execute()
    total = float(frame["n"].sum()) if len(frame) else 0.0
    shares: dict[str | None, float] = {None: 1.0}
    for row in frame.to_dict("records"):
        if row["segment"] is not None and not pd.isna(row["segment"]) and total:
            shares[str(row["segment"])] = float(row["n"]) / total
    return shares


def correct(gaps: list[Gap], alpha: float = 0.05) -> list[Gap]:
    """Benjamini-Hochberg across every tested gap of the run (gaps without a test keep no verdict)."""
    tested = [i for i, g in enumerate(gaps) if not math.isnan(g.p_value)]
    q_values = benjamini_hochberg([gaps[i].p_value for i in tested])
    out = list(gaps)
    for i, q in zip(tested, q_values, strict=True):
        out[i] = gaps[i].corrected(q, alpha)
    return out


def analyze(
    engine: Engine,
    settings: Settings,
    alpha: float = 0.05,
    extra: Sequence[Gap] = (),
    filters: Filters = ALL,
    importance: bool = True,
    replicates: int = IMPORTANCE_REPLICATES,
    derived: DriverReport | None = None,
) -> GapReport:
    """Measure every gap the data allows and say which data would measure the rest: the one analysis the
    CLI, the report, the dashboard and the JSON API show for a slice, so their numbers agree.

    With `importance` the knowledge gaps include stated vs derived importance (leaders' stated importance
    against a driver analysis of the slice's answers with `replicates` bootstrap draws, seeded), and one
    Benjamini-Hochberg correction covers every test, `extra` gaps from other analyses included. `filters`
    narrow the customers' and the operations' data to a period, segment and channel (leaders' beliefs and
    the standards stay whole); `derived`: that driver analysis when the caller already has it (the
    dashboard shares it with its drivers page); a touchpoint filter keeps that touchpoint's gaps after the correction, so a
    gap's q-value does not depend on which touchpoint is viewed. Cells below the minimum n, the perception
    headline included, get no number: they are listed with what they lack. Per-item customer gaps (items
    of dimensions with two items or more) are a second family, corrected on their own (`GapReport.items`).
    """
    settings = with_data_defaults(engine, settings)
    confidence = settings.analysis.confidence
    standards = pd.DataFrame(engine.table("standards").execute())
    promises = pd.DataFrame(engine.table("promises").execute())
    min_n = settings.analysis.min_n
    gaps, missing = operational_gaps(
        engine, standards, promises, settings.touchpoints, confidence, min_n, filters
    )
    sums = item_sums(engine, settings.items, filters)
    beliefs = beliefs_sums(engine)
    gaps += customer_gaps(sums, confidence, min_n, missing)
    gaps += perception_gaps(sums, beliefs, confidence, min_n, missing)
    gaps += knowledge_gaps(sums, beliefs, confidence, min_n, missing)
    if importance:
        gaps += _importance(engine, settings, replicates, filters, missing, derived)
    gaps += list(extra)
    top = headline(engine, confidence, filters, min_n)
    if top is not None and top.sufficient:
        gaps.append(headline_gap(top))
    elif top is not None:
        missing.append(_thin_headline(top.customers.n, min_n))
    missing += missing_voice(engine, settings.items)
    items, thin_items = item_gaps(sums, settings.items, confidence, min_n)
    reach, shares = _reach(engine), _segment_shares(engine)
    corrected, per_item = (
        [g for g in correct(_reached(family, reach, shares), alpha) if _kept(g, filters)]
        for family in (gaps, items)
    )
    return GapReport(tuple(corrected), tuple(missing), alpha, top, tuple(per_item), tuple(thin_items))


def _reached(gaps: list[Gap], reach: dict[str, float], shares: dict[str | None, float]) -> list[Gap]:
    """The gaps with their reach: the share of customers who touched the touchpoint (1.0 overall), times
    the segment's share of customers for a segment's gap."""
    return [
        replace(
            g,
            reach=(1.0 if g.touchpoint is None else reach.get(g.touchpoint, 0.0))
            * shares.get(g.segment, 1.0),
        )
        for g in gaps
    ]


def _kept(gap: Gap, filters: Filters) -> bool:
    """Whether a corrected gap belongs to the slice: a touchpoint filter keeps that touchpoint's gaps
    after the correction, so a gap's q-value does not depend on which touchpoint is viewed."""
    return not filters.touchpoint or gap.touchpoint == filters.touchpoint


def _importance(
    engine: Engine,
    settings: Settings,
    replicates: int,
    filters: Filters,
    missing: list[MissingGap],
    derived: DriverReport | None,
) -> list[Gap]:
    """Stated vs derived importance (the drivers package measures the derived side)."""
    # imported here: cxgap.drivers imports this package's schemas, so a module-level import would be circular
    from cxgap.drivers import importance_knowledge_gaps

    return importance_knowledge_gaps(engine, settings, replicates, filters, missing, derived)


def _thin_headline(n: int, min_n: int) -> MissingGap:
    """What the perception headline lacks in a thin slice."""
    return MissingGap(
        "perception",
        f"more customers' answers to 'superior to competitors?': insufficient data (n={n:,} < {min_n})",
    )
