"""Gaps measured from what customers and leaders say: customer (P - E), perception and knowledge.

Customers' ratings and leaders' beliefs are aggregated per (touchpoint, dimension) by the backend;
touchpoint None means the relational survey (the company as a whole).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxgap.engine import ALL, Engine, Filters, whole
from cxgap.gaps.schemas import Gap, MissingGap, PerceptionHeadline
from cxgap.stats import mean_difference, mean_test, proportion_difference, sd_from_sums, wilson_interval

Key = tuple[str | None, str]


Sums = dict[Key, tuple[int, float, float]]


def _cell(row: dict[str, Any]) -> Key:
    """The (touchpoint, dimension) of an aggregated row; a missing touchpoint is None (relational)."""
    touchpoint = row.get("touchpoint")
    return (None if touchpoint is None or pd.isna(touchpoint) else str(touchpoint), str(row["dimension"]))


@dataclass(frozen=True)
class ItemSums:
    """Per (touchpoint, dimension): (n, sum, sum of squares) of P - E, of P and of E, from one pass;
    P - E per (touchpoint, dimension, segment); and P - E per (touchpoint, item), for the per-item gaps."""

    gap: Sums
    perception: Sums
    expectation: Sums
    gap_by_segment: dict[tuple[str | None, str, str], tuple[int, float, float]] = field(default_factory=dict)
    gap_by_item: Sums = field(default_factory=dict)


def _add(sums: dict[Any, tuple[int, float, float]], key: Any, cell: tuple[int, float, float]) -> None:
    """Add one group's (n, sum, sum of squares) into a cell (items of a dimension add up)."""
    before = sums.get(key, (0, 0.0, 0.0))
    sums[key] = (before[0] + cell[0], before[1] + cell[1], before[2] + cell[2])


def item_sums(engine: Engine, items: dict[str, str], filters: Filters = ALL) -> ItemSums:
    """Configured items' statistics added up per (touchpoint, dimension) and segment (nothing without items).

    Reads the store's rollup of item ratings (per survey kind, touchpoint, segment, channel, month and item),
    which every import keeps in step, narrowed by `filters`; relational surveys count as touchpoint None.
    """
    if not items:
        return ItemSums({}, {}, {})
    rollup = filters.on_rollup(engine.table("rollup_items"))
    rollup = rollup.filter(rollup.item.isin(list(items)))
    stats = [c for c in rollup.columns if c.split("_", 1)[0] in ("n", "sum", "sumsq")]
    frame = (
        rollup.group_by(["survey_kind", "touchpoint", "segment", "item"])
        .aggregate(**{c: rollup[c].sum() for c in stats})
        .execute()
    )
    out: dict[str, Sums] = {"gap": {}, "perception": {}, "expectation": {}}
    by_segment: dict[tuple[str | None, str, str], tuple[int, float, float]] = {}
    by_item: Sums = {}
    for row in frame.to_dict("records"):
        relational = row["survey_kind"] == "relational"
        key = _cell(
            {**row, "touchpoint": None if relational else row["touchpoint"], "dimension": items[row["item"]]}
        )
        segment = row["segment"]
        for part in out:
            n = int(row[f"n_{part}"])
            if n:
                cell = (n, float(row[f"sum_{part}"]), float(row[f"sumsq_{part}"]))
                _add(out[part], key, cell)
                if part == "gap":
                    _add(by_item, (key[0], str(row["item"])), cell)
                if part == "gap" and segment is not None and not pd.isna(segment):
                    _add(by_segment, (key[0], key[1], str(segment)), cell)
    return ItemSums(out["gap"], out["perception"], out["expectation"], by_segment, by_item)


def _thin(kind: str, touchpoint: str | None, subject: str, n: int, min_n: int) -> MissingGap:
    where = touchpoint or "overall"
    return MissingGap(kind, f"more answers for {where} {subject}: insufficient data (n={n} < {min_n})")


def customer_gaps(
    sums: ItemSums, confidence: float = 0.95, min_n: int = 30, thin: list[MissingGap] | None = None
) -> list[Gap]:
    """SERVQUAL P - E per (touchpoint, dimension): paired mean difference, one-sample t-test, d_z.

    Cells with fewer than `min_n` answers get no number; they are added to `thin` instead.
    """
    gaps = []
    segments = {key[2] for key in sums.gap_by_segment}
    cells: list[tuple[str | None, str, str | None, tuple[int, float, float]]] = [
        (t, d, None, v) for (t, d), v in sums.gap.items()
    ]
    if len(segments) > 1:
        cells += [(t, d, seg, v) for (t, d, seg), v in sums.gap_by_segment.items()]
    for touchpoint, dimension, segment, (n, total, total_sq) in sorted(
        cells, key=lambda c: (c[0] or "", c[1], c[2] or "")
    ):
        if n < max(min_n, 2):
            if thin is not None:
                label = dimension if segment is None else f"{dimension} ({segment} customers)"
                thin.append(_thin("customer", touchpoint, label, n, min_n))
            continue
        gaps.append(paired_gap(touchpoint, dimension, (n, total, total_sq), confidence, segment))
    return gaps


def paired_gap(
    touchpoint: str | None,
    subject: str,
    cell: tuple[int, float, float],
    confidence: float,
    segment: str | None = None,
    dimension: str | None = None,
) -> Gap:
    """One P - E cell as a customer gap: the paired mean difference, its one-sample t-test against 0 and
    d_z (mean over SD) as its effect size; `dimension` names the dimension of a per-item gap."""
    n, total, total_sq = cell
    d, sd = mean_test(n, total, total_sq, 0.0, confidence), sd_from_sums(n, total, total_sq)
    return Gap(
        "customer",
        touchpoint,
        subject,
        "perception minus expectation (1-7)",
        d.value,
        d.low,
        d.high,
        n,
        d.p_value,
        d.value / sd if sd > 0 else math.nan,
        unit="points",
        segment=segment,
        dimension=dimension,
    )


def beliefs_sums(engine: Engine) -> dict[str, dict[str, Sums]]:
    """Per measure ('rating', 'expectation'), role and (touchpoint, dimension): n, sum, sum of squares."""
    b = engine.table("beliefs")
    b = b.filter(b.dimension.notnull())
    r, e = b.believed_rating.cast("float64"), b.believed_expectation.cast("float64")
    frame = (
        b.group_by(["role", "touchpoint", "dimension"])
        .aggregate(
            n_r=r.count(), s_r=r.sum(), q_r=(r * r).sum(), n_e=e.count(), s_e=e.sum(), q_e=(e * e).sum()
        )
        .execute()
    )
    out: dict[str, dict[str, Sums]] = {"rating": {}, "expectation": {}}
    for row in frame.to_dict("records"):
        key = _cell(row)
        for measure, part in (("rating", "r"), ("expectation", "e")):
            if int(row[f"n_{part}"]):
                cells = out[measure].setdefault(str(row["role"]), {})
                cells[key] = (int(row[f"n_{part}"]), float(row[f"s_{part}"]), float(row[f"q_{part}"]))
    return out


def _versus(
    kind: str,
    measure: str,
    actual: Sums,
    believed: dict[str, Sums],
    flip: bool,
    confidence: float,
    min_n: int = 30,
    thin: list[MissingGap] | None = None,
) -> list[Gap]:
    """Customers' actual vs internal respondents' belief, per role and (touchpoint, dimension), Welch.

    The customers' side needs `min_n` answers; the respondents' side at least 2 (they may be all the leaders).
    """
    gaps = []
    for role, cells in sorted(believed.items()):
        for key, belief in sorted(cells.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
            customers = actual.get(key)
            if customers is None or belief[0] < 2:
                continue
            if customers[0] < max(min_n, 2):
                if thin is not None:
                    thin.append(_thin(kind, key[0], f"{key[1]} ({role})", customers[0], min_n))
                continue
            # mean_difference(a, b) is b - a: customers - belief, or belief - customers when flipped
            d = (
                mean_difference(belief, customers, confidence)
                if not flip
                else mean_difference(customers, belief, confidence)
            )
            pooled = math.sqrt((sd_from_sums(*customers) ** 2 + sd_from_sums(*belief) ** 2) / 2)
            gaps.append(
                Gap(
                    kind,
                    key[0],
                    f"{key[1]} ({role})",
                    measure,
                    d.value,
                    d.low,
                    d.high,
                    belief[0] + customers[0],
                    d.p_value,
                    d.value / pooled if pooled > 0 else math.nan,
                    unit="points",
                )
            )
    return gaps


def perception_gaps(
    sums: ItemSums,
    beliefs: dict[str, dict[str, Sums]],
    confidence: float = 0.95,
    min_n: int = 30,
    thin: list[MissingGap] | None = None,
) -> list[Gap]:
    """Customers' mean rating minus what internal respondents believe it is (negative: they see it rosier)."""
    measure = "customers' rating minus believed rating (1-7)"
    return _versus("perception", measure, sums.perception, beliefs["rating"], False, confidence, min_n, thin)


def knowledge_gaps(
    sums: ItemSums,
    beliefs: dict[str, dict[str, Sums]],
    confidence: float = 0.95,
    min_n: int = 30,
    thin: list[MissingGap] | None = None,
) -> list[Gap]:
    """Believed minus customers' stated expectation (negative: leaders underestimate what customers expect)."""
    measure = "believed expectation minus customers' expectation (1-7)"
    return _versus(
        "knowledge", measure, sums.expectation, beliefs["expectation"], True, confidence, min_n, thin
    )


def headline(
    engine: Engine, confidence: float = 0.95, filters: Filters = ALL, min_n: int = 0
) -> PerceptionHeadline | None:
    """Leaders saying 'we are superior' vs customers agreeing (None without both kinds of answer); the
    customers' side is narrowed by `filters`, the leaders' belief is about the company as a whole. Fewer
    than `min_n` customers' answers make the headline insufficient (see `PerceptionHeadline.sufficient`)."""
    b, r = engine.table("beliefs"), engine.table("responses")
    leaders = b.filter((b.role == "leader") & b.superior.notnull())
    r = filters.on_events(r, "responded_at", engine.table("customers"))
    customers = r.filter(r.superior.notnull())
    lf = leaders.aggregate(n=leaders.count(), yes=leaders.superior.sum()).execute()
    cf = customers.aggregate(n=customers.count(), yes=customers.superior.sum()).execute()
    ln, ly, cn, cy = int(lf.n[0]), whole(lf.yes[0]), int(cf.n[0]), whole(cf.yes[0])
    if not ln or not cn:
        return None
    return PerceptionHeadline(
        wilson_interval(ly, ln, confidence),
        wilson_interval(cy, cn, confidence),
        proportion_difference((ly, ln), (cy, cn), confidence),
        min_n,
    )


def headline_gap(h: PerceptionHeadline) -> Gap:
    """The headline as a perception gap: customers' share minus leaders' share."""
    d = h.difference
    effect = 2 * math.asin(math.sqrt(h.customers.value)) - 2 * math.asin(math.sqrt(h.leaders.value))
    return Gap(
        "perception",
        None,
        "superior experience (leaders)",
        "share of customers agreeing minus share of leaders believing",
        d.value,
        d.low,
        d.high,
        d.n_a + d.n_b,
        d.p_value,
        effect,
        unit="share",
    )


def missing_voice(engine: Engine, items: dict[str, str]) -> list[MissingGap]:
    """What is absent for the survey-based gaps."""
    missing = []
    if not items:  # cxgap.toml names none and the store holds no item ratings (see engine.items_of)
        for kind in ("customer", "perception", "knowledge"):
            missing.append(
                MissingGap(kind, "survey item ratings (response_items, e.g. through [items] in a mapping)")
            )
    if engine.table("beliefs").count().execute() == 0:
        missing.append(
            MissingGap(
                "perception",
                "a beliefs table: leaders' and staff's believed customer ratings (same scale, same touchpoints)",
            )
        )
        missing.append(
            MissingGap(
                "knowledge", "a beliefs table with leaders' believed expectations and stated importance"
            )
        )
    rollup = engine.table("rollup_items")  # unfiltered: whether the survey asks, not whether a slice answered
    if rollup.n_expectation.sum().fill_null(0).execute() == 0:
        missing.append(
            MissingGap("customer", "survey items rated for expectation as well as perception (SERVQUAL)")
        )
    return missing
