"""The driver data: one row per response (or customer), the drivers' ratings and the outcome.

The backend pivots item ratings to one row per response and joins the outcome; Python receives that
frame, or a documented deterministic sample of it when it is larger than `max_rows` (the bootstrap
needs rows, which no aggregate can replace): the rows whose key's MD5 falls below a threshold, the same
rows on DuckDB, PostgreSQL and Spark (each backend's own hash() differs, which made the engines disagree).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
from numpy.typing import NDArray

from cxgap.engine import ALL, Engine, Filters
from cxgap.errors import CxgapError
from cxgap.store.models import CSAT_SCALE, ITEM_SCALE

OUTCOMES = {
    "nps": "likelihood to recommend (0-10)",
    "promoter": "promoter (NPS 9-10) yes/no",
    "csat": "satisfaction (1-5)",
    "ces": "ease (1-7)",
    "churn": "churned yes/no",
}
LEVELS = ("items", "dimensions", "touchpoints")
Scale = tuple[float, float]
# the usual survey scales, narrowest first: an undeclared rating column is read as the first that holds it
RATING_SCALES: tuple[Scale, ...] = ((1, 5), (0, 5), (1, 7), (1, 10), (0, 10))


def rating_scale(column: NDArray[np.float64], declared: Scale | None = None) -> Scale | None:
    """The rating scale a driver's answers sit on, or None when they are no rating (a count such as tenure,
    an amount such as charges, a yes/no flag), whose mean must not be read as performance.

    A rating has whole-number answers with at least three distinct values, all within the declared scale
    or, without one, within the narrowest usual survey scale.
    """
    answered = column[~np.isnan(column)]
    if len(np.unique(answered)) < 3 or not np.all(answered == np.round(answered)):
        return None
    low, high = float(answered.min()), float(answered.max())
    return next(
        (s for s in ((declared,) if declared else RATING_SCALES) if s[0] <= low and high <= s[1]), None
    )


@dataclass(frozen=True)
class DriverData:
    """Rows x (drivers..., outcome) with NaN for a missing answer; how many rows existed before sampling;
    each driver's rating scale (None: not a rating), or None to read them from the answers."""

    drivers: tuple[str, ...]
    values: NDArray[np.float64]
    rows_available: int
    scales: tuple[Scale | None, ...] | None = None

    @property
    def sampled(self) -> bool:
        """True when the analysis runs on a sample of the rows."""
        return len(self.values) < self.rows_available

    def driver_scales(self) -> tuple[Scale | None, ...]:
        """Each driver's rating scale: as given, else read from its answers (see `rating_scale`)."""
        if self.scales is not None:
            return self.scales
        return tuple(rating_scale(self.values[:, j]) for j in range(len(self.drivers)))


def _outcome(table: Any, outcome: str, engine: Engine) -> Any:
    """Add column `outcome_value` to a table holding response or customer columns."""
    if outcome == "churn":
        c = engine.table("customers").select("customer_id", "churned")
        joined = table.join(c, "customer_id")
        return joined.mutate(outcome_value=ibis.ifelse(joined.churned, 1.0, 0.0))
    if outcome == "promoter":
        return table.mutate(outcome_value=ibis.ifelse(table.nps >= 9, 1.0, 0.0)).filter(table.nps.notnull())
    return table.mutate(outcome_value=table[outcome].cast("float64")).filter(table[outcome].notnull())


@ibis.udf.scalar.builtin  # type: ignore[untyped-decorator]
def md5(value: str) -> str:  # type: ignore[empty-body]
    """The backend's own md5 (DuckDB, PostgreSQL and Spark each have one): lower-case hex of the UTF-8 text."""


def _below(share: float) -> str:
    """The first 8 hex digits an MD5 must fall below to keep `share` of the rows (digits sort alike in every
    collation, so the comparison selects the same rows everywhere)."""
    return f"{min(int(share * 16**8), 16**8 - 1):08x}"


def _fetch(table: Any, key: str, columns: list[str], max_rows: int) -> tuple[Any, int]:
    """The rows' `columns` in the order of their `key` (above `max_rows`, a deterministic sample of about
    `max_rows`), and how many rows there are: the bootstrap draws its resamples row by row, so the same
    data must arrive in the same order on every run and backend for the intervals (and the q-values built
    on them) to repeat."""
    available = int(table.count().execute())
    if available > max_rows:
        table = table.filter(md5(table[key].cast("string")).substr(0, 8) < _below(max_rows / available))
    frame = table.select(key, *columns).order_by(key).execute()
    return frame[columns], available


def item_drivers(
    engine: Engine,
    items: dict[str, str],
    outcome: str,
    survey_kind: str = "relational",
    touchpoint: str | None = None,
    max_rows: int = 200_000,
    filters: Filters = ALL,
) -> DriverData:
    """Per response: each configured item's perception and the outcome (from the same response, or the
    respondent's churn); ratings narrowed by `filters`' period, segment and channel."""
    if not items:  # the store holds no item ratings (and cxgap.toml names none): nothing to read
        return DriverData((), np.empty((0, 1)), 0)
    ri = filters.on_rollup(engine.table("response_items"))  # ratings carry the rollups' keys
    ri = ri.filter(ri.item.isin(list(items)) & (ri.survey_kind == survey_kind))
    if touchpoint is not None:
        ri = ri.filter(ri.touchpoint == touchpoint)
    wide = ri.group_by("response_id").aggregate(
        **{item: ri.perception.max(where=ri.item == item) for item in items}
    )
    r = engine.table("responses").select("response_id", "customer_id", "nps", "csat", "ces")
    rows = _outcome(wide.join(r, "response_id"), outcome, engine)
    frame, available = _fetch(rows, "response_id", [*items, "outcome_value"], max_rows)
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    return DriverData(tuple(items), values, available, (ITEM_SCALE,) * len(items))


def dimension_drivers(data: DriverData, items: dict[str, str]) -> DriverData:
    """Each response's dimension scores: the mean of the dimension's answered items."""
    dimensions = list(dict.fromkeys(items[i] for i in data.drivers))
    columns = []
    for dimension in dimensions:
        members = [k for k, item in enumerate(data.drivers) if items[item] == dimension]
        block = data.values[:, members]
        answered = (~np.isnan(block)).sum(axis=1)
        total = np.nansum(block, axis=1)
        columns.append(np.where(answered > 0, total / np.maximum(answered, 1), np.nan))
    values = np.column_stack([*columns, data.values[:, -1]])
    return DriverData(tuple(dimensions), values, data.rows_available, (ITEM_SCALE,) * len(dimensions))


def touchpoint_drivers(
    engine: Engine, touchpoints: list[str], outcome: str, max_rows: int = 200_000, filters: Filters = ALL
) -> DriverData:
    """Per customer: mean transactional CSAT at each touchpoint, and the outcome (relational answer's
    NPS/CES, or churn); a touchpoint the customer did not rate is missing, not zero. Responses are
    narrowed by `filters`' period, segment and channel."""
    if not touchpoints:
        raise CxgapError("Key drivers on touchpoints need a touchpoints list in cxgap.toml.")
    if outcome == "csat":
        raise CxgapError("Touchpoint CSAT cannot drive CSAT itself; choose nps, promoter, ces or churn.")
    r = filters.on_events(engine.table("responses"), "responded_at", engine.table("customers"))
    tx = r.filter((r.survey_kind == "transactional") & r.csat.notnull())
    scores = tx.group_by("customer_id").aggregate(
        **{tp: tx.csat.cast("float64").mean(where=tx.touchpoint == tp) for tp in touchpoints}
    )
    if outcome == "churn":
        rows = _outcome(scores, outcome, engine)
    else:
        rel = r.filter(r.survey_kind == "relational")
        column = "nps" if outcome == "promoter" else outcome
        per_customer = rel.group_by("customer_id").aggregate(**{column: rel[column].cast("float64").mean()})
        rows = _outcome(scores.join(per_customer, "customer_id"), outcome, engine)
    frame, available = _fetch(rows, "customer_id", [*touchpoints, "outcome_value"], max_rows)
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    return DriverData(tuple(touchpoints), values, available, (CSAT_SCALE,) * len(touchpoints))
