"""Critical incidents as one engine expression: every record a `[journeys.incidents]` rule calls a failure,
with its customer, time, touchpoint and channel. Nothing is fetched; the measures aggregate it in the backend.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from cxgap.config import Incident, Settings
from cxgap.errors import CxgapError
from cxgap.gaps.operations import metric_of
from cxgap.journeys.slice import Tables

# per source: its id column and its time column
SOURCES = {
    "interactions": ("interaction_id", "occurred_at"),
    "responses": ("response_id", "responded_at"),
    "feedback": ("feedback_id", "received_at"),
}
SECONDS_PER_DAY = 86_400.0


def _shape(t: Any, name: str, rule: Incident, source: str, record: Any, at: Any) -> Any:
    """The common columns of every incident expression (so they can be unioned)."""
    channel = t.channel if "channel" in t.columns else ibis.null()
    return t.select(
        incident=ibis.literal(name),
        customer_id=t.customer_id.cast("string"),
        at=at.cast("timestamp"),
        touchpoint=t.touchpoint.cast("string"),
        channel=channel.cast("string"),
        record_id=record.cast("string"),
        source=ibis.literal(source),
        internal=ibis.literal(rule.internal),
    )


def _narrow(t: Any, rule: Incident) -> Any:
    t = t.filter(t.customer_id.notnull())
    if rule.touchpoints:
        t = t.filter(t.touchpoint.isin(rule.touchpoints))
    if rule.kinds and "kind" in t.columns:
        t = t.filter(t.kind.isin(rule.kinds))
    return t


def _value(engine: Tables, name: str, rule: Incident) -> Any:
    id_column, time_column = SOURCES[rule.source]
    t = _narrow(engine.table(rule.source), rule)
    column = rule.column or ""
    if column not in t.columns:
        raise CxgapError(
            f"journeys.incidents.{name}: column = '{column}' is not a column of {rule.source} "
            f"(see docs/schema.md)."
        )
    c = t[column]
    if rule.equals is not None:
        condition = c == rule.equals
    elif rule.at_most is not None:
        condition = c <= rule.at_most
    else:
        condition = c >= rule.at_least
    t = t.filter(condition)
    return _shape(t, name, rule, rule.source, t[id_column], t[time_column])


def _missed_standard(
    engine: Tables, name: str, rule: Incident, standards: pd.DataFrame, notes: list[str]
) -> Any:
    """Interactions that miss their touchpoint's standard for the metric, one expression per touchpoint."""
    metric_name = rule.standard or ""
    metric = metric_of(metric_name)
    if metric is None:
        raise CxgapError(
            f"journeys.incidents.{name}: standard = '{metric_name}' is not a metric cxgap measures."
        )
    rows = standards[standards.metric == metric_name] if len(standards) else standards
    if rule.touchpoints and len(rows):
        rows = rows[rows.touchpoint.isin(rule.touchpoints)]
    if not len(rows):
        notes.append(
            f"Incident '{name}' needs a standard '{metric_name}' in the standards table; none is there."
        )
        return None
    only_kind = metric_name.split("@", 1)[1] if "@" in metric_name else metric.only_kind
    parts = []
    for row in rows.itertuples():
        t = _narrow(engine.table("interactions"), rule)
        t = t.filter(t.touchpoint == row.touchpoint)
        if only_kind:
            t = t.filter(t.kind == only_kind)
        if metric.skip_kind:
            t = t.filter(t.kind != metric.skip_kind)
        value = t[metric.column]
        if metric.kind == "share":
            missed = value == (not metric.positive)
        elif row.direction == "at_most":
            missed = value * metric.scale > row.target
        else:
            missed = value * metric.scale < row.target
        t = t.filter(missed)
        parts.append(_shape(t, name, rule, "interactions", t.interaction_id, t.occurred_at))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _repeat_contact(engine: Tables, name: str, rule: Incident) -> Any:
    """Contacts within `within_days` of the customer's previous contact at the same touchpoint and reason."""
    t = _narrow(engine.table("interactions"), rule)
    reason = t.reason.fill_null("") if "reason" in t.columns else ibis.literal("")
    t = t.mutate(_reason=reason)
    window = ibis.window(group_by=[t.customer_id, t.touchpoint, t._reason], order_by=t.occurred_at)
    t = t.mutate(_previous=t.occurred_at.lag().over(window))
    gap = t.occurred_at.epoch_seconds() - t._previous.epoch_seconds()
    t = t.filter(t._previous.notnull() & (gap <= rule.within_days * SECONDS_PER_DAY))
    return _shape(t, name, rule, "interactions", t.interaction_id, t.occurred_at)


def _open_case(engine: Tables, name: str, rule: Incident, now: Any) -> Any:
    """Cases still open `at_least` days after they were opened; the incident happens on that day."""
    t = _narrow(engine.table("cases"), rule)
    days = float(rule.at_least or 0)
    due = t.created_at + ibis.interval(seconds=int(days * SECONDS_PER_DAY))
    t = t.filter(t.status.isin(["open", "in_progress"]) & (due <= now))
    t = t.mutate(channel=ibis.null().cast("string"))
    return _shape(t, name, rule, "cases", t.case_id, due)


def incident_events(engine: Tables, settings: Settings, notes: list[str] | None = None) -> Any | None:
    """Every incident the rules find, as one expression (None when no rule can find any)."""
    notes = notes if notes is not None else []
    standards = pd.DataFrame(engine.table("standards").execute())
    now = ibis.literal(pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime())
    parts = []
    for name, rule in settings.journeys.incidents.items():
        if rule.when == "value":
            part = _value(engine, name, rule)
        elif rule.when == "missed_standard":
            part = _missed_standard(engine, name, rule, standards, notes)
        elif rule.when == "repeat_contact":
            part = _repeat_contact(engine, name, rule)
        else:
            part = _open_case(engine, name, rule, now)
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    return ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]


def caps(settings: Settings) -> dict[str, int]:
    """The most incidents of each kind counted per customer (rules without a cap are left out)."""
    return {
        name: rule.max_per_journey
        for name, rule in settings.journeys.incidents.items()
        if rule.max_per_journey is not None
    }


def capped(counts: Any, column: str, limits: dict[str, int]) -> Any:
    """A count column limited per incident kind (`counts` has an `incident` column)."""
    if not limits:
        return counts[column]
    expr = ibis.cases(
        *((counts.incident == k, ibis.least(counts[column], v)) for k, v in limits.items()),
        else_=counts[column],
    )
    return expr
