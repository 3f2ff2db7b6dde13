"""Churn data: one row per customer with gap indicators as features, from the store (computed by the
engine at a point in time, so nothing after that moment leaks in) or from a flat file through a mapping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from cxgap.config import HealthWeight, Settings, describe_validation_error, read_toml
from cxgap.drivers.files import DriverMapping, column_numbers, read_text_csv
from cxgap.engine import Engine
from cxgap.errors import ConfigError, InputFileError
from cxgap.journeys import incident_events

DAY = 86_400


@dataclass(frozen=True)
class ChurnData:
    """Customers as rows: numeric features (NaN = unknown), whether each churned within the horizon, the
    days until churn or censoring (survival), yearly revenue and segment where known."""

    ids: np.ndarray
    features: pd.DataFrame
    churned: np.ndarray
    duration: np.ndarray | None = None
    revenue: np.ndarray | None = None
    segment: np.ndarray | None = None
    as_of: dt.datetime | None = None
    horizon_days: int | None = None
    higher_is_riskier: dict[str, bool] = field(default_factory=dict)
    not_for_survival: tuple[str, ...] = ()  # features that are the duration, or grow with it

    @property
    def n(self) -> int:
        """Customers."""
        return len(self.ids)


def data_end(engine: Engine) -> dt.datetime | None:
    """The last moment the store has data for (the latest interaction, answer or feedback)."""
    ends = []
    for table, column in (
        ("interactions", "occurred_at"),
        ("responses", "responded_at"),
        ("feedback", "received_at"),
    ):
        t = engine.table(table)
        ends.append(t[column].max().execute())
    known = [pd.Timestamp(e).to_pydatetime() for e in ends if e is not None and not pd.isna(e)]
    return max(known) if known else None


def _per_customer(t: Any, **metrics: Any) -> Any:
    return t.group_by(t.customer_id.cast("string").name("customer_id")).aggregate(**metrics)


def _window(t: Any, column: str, start: dt.datetime, end: dt.datetime) -> Any:
    return t.filter((t[column] > start) & (t[column] <= end) & t.customer_id.notnull())


def store_features(
    engine: Engine, settings: Settings, as_of: dt.datetime, horizon_days: int = 90
) -> ChurnData:
    """Customers active at `as_of` with what was known about them then, and whether they churned within
    `horizon_days` after it: incidents (30 and 90 days, lifetime), unresolved contacts, open cases, the
    latest NPS, feedback ratings, usage, tenure and revenue."""
    c = engine.table("customers")
    stamp = ibis.literal(as_of)
    started = c.started_at.cast("timestamp")
    ended = c.ended_at.cast("timestamp")
    active = c.filter((started.isnull() | (started <= stamp)) & (ended.isnull() | (ended > stamp)))
    horizon = as_of + dt.timedelta(days=horizon_days)
    base = active.select(
        customer_id=active.customer_id.cast("string"),
        segment=active.segment,
        revenue=active.revenue,
        tenure_days=(stamp.epoch_seconds() - active.started_at.cast("timestamp").epoch_seconds()) / DAY,
        churn_day=(active.ended_at.cast("timestamp").epoch_seconds() - stamp.epoch_seconds()) / DAY,
        churned=active.churned.fill_null(False),
    )
    far = dt.datetime(1900, 1, 1)
    parts = []
    incidents = incident_events(engine, settings)
    if incidents is not None:
        seen = incidents.filter(~incidents.internal & (incidents.at <= stamp))
        parts.append(
            _per_customer(
                seen,
                incidents_total=seen.count(),
                incidents_90d=seen.count(where=seen.at > ibis.literal(as_of - dt.timedelta(days=90))),
                incidents_30d=seen.count(where=seen.at > ibis.literal(as_of - dt.timedelta(days=30))),
            )
        )
    i = _window(engine.table("interactions"), "occurred_at", far, as_of)
    recent = i.occurred_at > ibis.literal(as_of - dt.timedelta(days=90))
    parts.append(
        _per_customer(
            i,
            unresolved_total=i.count(where=i.resolved == False),  # noqa: E712 (an Ibis expression)
            unresolved_90d=i.count(where=(i.resolved == False) & recent),  # noqa: E712
            usage_90d=i.count(where=recent),
        )
    )
    k = _window(engine.table("cases"), "created_at", far, as_of)
    still_open = k.resolved_at.isnull() | (k.resolved_at > stamp)
    parts.append(
        _per_customer(
            k,
            open_cases=k.count(where=still_open),
            open_case_days=((stamp.epoch_seconds() - k.created_at.epoch_seconds()) / DAY).max(
                where=still_open
            ),
        )
    )
    r = _window(engine.table("responses"), "responded_at", far, as_of).filter(lambda t: t.nps.notnull())
    parts.append(
        _per_customer(r, nps_latest=r.nps.argmax(r.responded_at), detractor_answers=r.count(where=r.nps <= 6))
    )
    f = _window(engine.table("feedback"), "received_at", as_of - dt.timedelta(days=365), as_of)
    parts.append(_per_customer(f, feedback_rating=f.rating.mean(), feedback_count=f.count()))
    joined = base
    for part in parts:
        joined = joined.left_join(part, joined.customer_id == part.customer_id).drop("customer_id_right")
    frame = pd.DataFrame(joined.order_by("customer_id").execute())
    return _assemble(frame, as_of, horizon, horizon_days)


COUNTS = (
    "incidents_total",
    "incidents_90d",
    "incidents_30d",
    "unresolved_total",
    "unresolved_90d",
    "usage_90d",
    "open_cases",
    "detractor_answers",
    "feedback_count",
)
RISK_DIRECTION = {
    "incidents_total": True,
    "incidents_90d": True,
    "incidents_30d": True,
    "unresolved_total": True,
    "unresolved_90d": True,
    "open_cases": True,
    "open_case_days": True,
    "detractor_answers": True,
    "nps_latest": False,
    "feedback_rating": False,
    "usage_90d": False,
    "tenure_days": False,
    "revenue": False,
    "feedback_count": True,
    "detractor": True,
}


def _assemble(frame: pd.DataFrame, as_of: dt.datetime, horizon: dt.datetime, horizon_days: int) -> ChurnData:
    for column in COUNTS:
        if column in frame.columns:
            frame[column] = frame[column].fillna(0).astype(float)
    frame["detractor"] = np.where(
        frame["nps_latest"].isna(), np.nan, (frame["nps_latest"] <= 6).astype(float)
    )
    churned_after = frame["churned"].astype(bool) & frame["churn_day"].notna()
    label = churned_after & (frame["churn_day"] <= horizon_days)
    # survival time from the moment: days to churn, or censored where the data ends (one horizon later)
    duration = np.where(label, frame["churn_day"], float(horizon_days))
    columns = [c for c in RISK_DIRECTION if c in frame.columns]
    return ChurnData(
        ids=frame["customer_id"].to_numpy(),
        features=frame[columns].astype(float).reset_index(drop=True),
        churned=label.to_numpy().astype(int),
        duration=duration,
        revenue=frame["revenue"].astype(float).to_numpy(),
        segment=frame["segment"].fillna("(none)").astype(str).to_numpy(),
        as_of=as_of,
        horizon_days=horizon_days,
        higher_is_riskier={c: RISK_DIRECTION[c] for c in columns},
    )


class ChurnMapping(DriverMapping):
    """A driver mapping (outcome = churn, drivers = features) plus what churn models need from a file: the
    customer id, the time each customer was observed (for survival), their segment and health weights."""

    id: str | None = None
    duration: str | None = None
    segment: str | None = None
    health: dict[str, HealthWeight] = Field(default_factory=dict)
    grows_with_time: list[str] = Field(
        default_factory=list,
        description="features that grow with the time observed (not in the survival model)",
    )


def load_churn_mapping(path: str | Path) -> ChurnMapping:
    """Read and validate a churn mapping; one sentence for any mistake."""
    try:
        spec = ChurnMapping.model_validate(read_toml(Path(path)))
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, str(path))) from None
    unknown = (set(spec.values) | set(spec.health) | set(spec.grows_with_time)) - set(spec.drivers)
    if unknown:
        raise ConfigError(
            f"{path}: [values]/[health]/grows_with_time name {', '.join(sorted(unknown))}, which [drivers] does not."
        )
    return spec


def read_churn_file(path: str | Path, spec: ChurnMapping) -> ChurnData:
    """A CSV (UTF-8, a byte-order mark is fine) as churn data through `spec`."""
    path = Path(path)
    frame = read_text_csv(path)
    optional = [c for c in (spec.id, spec.duration, spec.segment) if c] + (
        [spec.revenue.column] if spec.revenue else []
    )
    missing = [c for c in [spec.outcome.column, *spec.drivers.values(), *optional] if c not in frame.columns]
    if missing:
        raise InputFileError(
            f"{path}: no column {', '.join(repr(c) for c in missing)} (the mapping names it)."
        )
    features = pd.DataFrame(
        {
            name: column_numbers(path, frame, source, spec.values.get(name, {}))
            for name, source in spec.drivers.items()
        }
    )
    churned = column_numbers(path, frame, spec.outcome.column, dict(spec.outcome.values))
    if np.isnan(churned).any():
        row = int(np.flatnonzero(np.isnan(churned))[0]) + 2
        raise InputFileError(
            f"{path} row {row}, column '{spec.outcome.column}': the outcome is blank; every customer needs one."
        )
    return ChurnData(
        ids=frame[spec.id].to_numpy() if spec.id else np.arange(len(frame)).astype(str),
        features=features,
        churned=churned.astype(int),
        duration=column_numbers(path, frame, spec.duration, {}) if spec.duration else None,
        revenue=column_numbers(path, frame, spec.revenue.column, {}) * spec.revenue.factor
        if spec.revenue
        else None,
        segment=frame[spec.segment].to_numpy() if spec.segment else None,
        not_for_survival=tuple(
            name
            for name, source in spec.drivers.items()
            if source == spec.duration or name in spec.grows_with_time
        ),
    )
