"""Accountability: how much of what customers raise is acted on, how fast, and what stays unresolved.

Per team, owner, touchpoint or rule (and per month for the trend), computed by the backend: counts, and
the median and 90th percentile of the hours to first action and to resolution. Shares carry Wilson
intervals; groups below the minimum n say so instead of showing a number.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import pandas as pd

from cxgap.cases.clock import store_now
from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.stats import Estimate, wilson_interval

GROUPINGS = ("team", "owner", "touchpoint", "rule", "month")


@dataclass(frozen=True)
class Accountability:
    """One group's loop metrics. Hours are None where no case got that far."""

    group: str | None
    cases: int
    acted_on: Estimate | None  # share of cases a person acted on
    unresolved: Estimate | None  # share still open or in progress
    overdue: int  # still open past the deadline
    reopened: Estimate | None  # share of cases ever resolved that were reopened
    hours_to_first_action: tuple[float | None, float | None]  # median, p90
    hours_to_resolve: tuple[float | None, float | None]


@dataclass(frozen=True)
class AccountabilityReport:
    """Loop metrics by one grouping, as of `now`."""

    by: str
    now: dt.datetime
    min_n: int
    groups: tuple[Accountability, ...]
    team: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per group: counts, shares with intervals, hours (median, p90)."""
        rows = []
        for g in self.groups:
            row: dict[str, Any] = {self.by: g.group, "cases": g.cases, "overdue": g.overdue}
            for name in ("acted_on", "unresolved", "reopened"):
                e = getattr(g, name)
                row |= {name: e.value if e else math.nan, f"{name}_low": e.low if e else math.nan}
                row |= {f"{name}_high": e.high if e else math.nan}
            row |= {
                "first_action_median_h": g.hours_to_first_action[0],
                "first_action_p90_h": g.hours_to_first_action[1],
                "resolve_median_h": g.hours_to_resolve[0],
                "resolve_p90_h": g.hours_to_resolve[1],
            }
            rows.append(row)
        return pd.DataFrame(rows)

    def as_dicts(self) -> list[dict[str, Any]]:
        """Plain dictionaries (for JSON)."""
        return [asdict(g) for g in self.groups]


def _hours(end: Any, start: Any) -> Any:
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 3600.0


def _share(hits: int, n: int, min_n: int, confidence: float) -> Estimate | None:
    return wilson_interval(hits, n, confidence) if n >= min_n and n > 0 else None


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def accountability(
    engine: Engine,
    by: str = "team",
    *,
    team: str | None = None,
    now: dt.datetime | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
) -> AccountabilityReport:
    """Loop metrics per `by` (team, owner, touchpoint, rule or month of opening), of one `team`'s cases
    when one is named (a team lead's view), "overdue" judged at `now` (default: the store's own clock)."""
    if by not in GROUPINGS:
        raise CxgapError(f"Cannot group cases by '{by}'; choose from {', '.join(GROUPINGS)}.")
    now = now or store_now(engine.store)
    c = engine.table("cases")
    if team is not None:
        c = c.filter(c.team == team)
    if by == "month":
        c = c.mutate(month=c.created_at.truncate("M").cast("date").cast("string"))
    still_open = c.status.isin(["open", "in_progress"])
    first, resolve = _hours(c.first_action_at, c.created_at), _hours(c.resolved_at, c.created_at)
    ever_resolved = c.resolved_at.notnull() | (c.reopen_count.fill_null(0) > 0)
    frame = (
        c.group_by(c[by].name(by))
        .aggregate(
            cases=c.count(),
            acted=c.first_action_at.notnull().sum(),
            unresolved=still_open.sum(),
            overdue=(still_open & (c.due_at < ibis.literal(now))).sum(),
            resolved=ever_resolved.sum(),
            reopened=(c.reopen_count.fill_null(0) > 0).sum(),
            first_median=first.quantile(0.5),
            first_p90=first.quantile(0.9),
            resolve_median=resolve.quantile(0.5),
            resolve_p90=resolve.quantile(0.9),
        )
        .order_by(by)
        .execute()
    )
    groups = []
    for row in frame.to_dict("records"):
        n = int(row["cases"])
        groups.append(
            Accountability(
                None if row[by] is None or pd.isna(row[by]) else str(row[by]),
                n,
                _share(int(row["acted"] or 0), n, min_n, confidence),
                _share(int(row["unresolved"] or 0), n, min_n, confidence),
                int(row["overdue"] or 0),
                _share(int(row["reopened"] or 0), int(row["resolved"] or 0), min_n, confidence),
                (_number(row["first_median"]), _number(row["first_p90"])),
                (_number(row["resolve_median"]), _number(row["resolve_p90"])),
            )
        )
    return AccountabilityReport(by, now, min_n, tuple(groups), team)
