"""Experiment data: per arm (and before/after a start date) sufficient statistics, from the backend.

Assignments (customer -> control or treatment) come from the user as a small table; the backend joins
them to responses, customers or outcomes and returns one row per cell.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from cxgap.engine import Engine
from cxgap.errors import InputFileError
from cxgap.experiments.analysis import Cell

ARMS = ("control", "treatment")
DEFAULT_SURVEY = {"nps": "relational", "promoter": "relational"}


def read_assignments(path: Path) -> pd.DataFrame:
    """A CSV with columns customer_id and group (control or treatment); one clear error for bad rows."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputFileError(f"{path}: cannot read the assignments ({error}).") from None
    missing = {"customer_id", "group"} - set(frame.columns)
    if missing:
        raise InputFileError(
            f"{path}: needs columns customer_id and group (found {', '.join(frame.columns) or 'none'})."
        )
    frame["group"] = frame["group"].str.strip().str.lower()
    bad = frame.index[~frame["group"].isin(ARMS) | (frame["customer_id"].str.strip() == "")]
    if len(bad):
        row = int(bad[0])
        raise InputFileError(
            f"{path} row {row + 2}, column group: expected control or treatment with a customer_id, "
            f"got {frame.loc[row, 'group']!r} ({len(bad)} such rows)."
        )
    duplicated = frame.index[frame["customer_id"].duplicated()]
    if len(duplicated):
        row = int(duplicated[0])
        raise InputFileError(
            f"{path} row {row + 2}, column customer_id: {frame.loc[row, 'customer_id']!r} is assigned twice."
        )
    return frame[["customer_id", "group"]]


def _source(engine: Engine, metric: str, survey_kind: str | None) -> tuple[Any, Any, Any]:
    """The rows a metric reads, its value column and its time column (None: no time)."""
    if metric == "churn":
        c = engine.table("customers")
        return c, ibis.ifelse(c.churned, 1, 0), None
    if metric == "revenue":
        o = engine.table("outcomes")
        return o, o.revenue.cast("float64"), o.period.cast("timestamp")
    r = engine.table("responses")
    kind = survey_kind or DEFAULT_SURVEY.get(metric, "transactional")
    r = r.filter(r.survey_kind == kind)
    column = {"promoter": "nps", "csat_top2": "csat"}.get(metric, metric)
    r = r.filter(r[column].notnull())
    value = {
        "promoter": ibis.ifelse(r.nps >= 9, 1, 0),
        "csat_top2": ibis.ifelse(r.csat >= 4, 1, 0),
    }.get(metric, r[column].cast("float64"))
    return r, value, r.responded_at


def cells(
    engine: Engine,
    assignments: pd.DataFrame,
    metric: str,
    start: dt.date | None = None,
    survey_kind: str | None = None,
) -> dict[tuple[str, str], Cell]:
    """Sufficient statistics per (arm, 'all') or, with `start`, per (arm, 'before' / 'after')."""
    rows, value, when = _source(engine, metric, survey_kind)
    if start is not None and when is None:
        raise InputFileError(f"{metric} has no time to split at {start}; use it without --start.")
    arms = ibis.memtable(assignments.rename(columns={"group": "arm"}))
    rows = rows.mutate(metric_value=value)
    if start is not None:
        rows = rows.mutate(
            period=ibis.cases(
                (when < ibis.timestamp(dt.datetime.combine(start, dt.time())), "before"), else_="after"
            )
        )
    else:
        rows = rows.mutate(period=ibis.literal("all"))
    joined = rows.join(arms, "customer_id")
    x = joined.metric_value.cast("float64")
    frame = (
        joined.group_by(["arm", "period"])
        .aggregate(
            n=x.count(),
            promoters=ibis.ifelse(x >= 9, 1, 0).sum(),
            detractors=ibis.ifelse(x <= 6, 1, 0).sum(),
            total=x.sum(),
            total_sq=(x * x).sum(),
        )
        .execute()
    )
    out = {}
    for row in frame.to_dict("records"):
        successes = int(round(row["total"])) if metric in ("promoter", "csat_top2", "churn") else 0
        out[(str(row["arm"]), str(row["period"]))] = Cell(
            int(row["n"]),
            int(row["promoters"]),
            int(row["detractors"]),
            successes,
            float(row["total"]),
            float(row["total_sq"]),
        )
    return out
