"""Churn data: one row per customer with gap indicators as features, from the store (computed by the
engine at a point in time, so nothing after that moment leaks in) or from a flat file through a mapping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, ValidationError

from cxgap.churn.threads import side_by_side
from cxgap.config import HealthWeight, Settings, describe_validation_error
from cxgap.drivers.files import (
    DriverMapping,
    check_reading,
    column_numbers,
    driver_numbers,
    mapping_toml,
    revenue_numbers,
)
from cxgap.engine import Engine
from cxgap.errors import ConfigError, InputFileError
from cxgap.io.text_table import read_text_table
from cxgap.journeys import incident_events

DAY = 86_400
FAR = dt.datetime(1900, 1, 1)  # before any data: 'since the beginning'


@dataclass(frozen=True)
class ChurnData:
    """Customers as rows: numeric features (NaN = unknown), whether each churned within the horizon, the
    days until churn or censoring (survival), yearly revenue and segment where known."""

    ids: np.ndarray
    features: pd.DataFrame
    churned: np.ndarray
    duration: np.ndarray | None = None
    revenue: np.ndarray | None = None
    # categories where the engine's snapshot coded them
    segment: np.ndarray | pd.Categorical[Any] | None = None
    as_of: dt.datetime | None = None
    horizon_days: int | None = None
    higher_is_riskier: dict[str, bool] = field(default_factory=dict)
    not_for_survival: tuple[str, ...] = ()  # features that are the duration, or grow with it
    shared: SharedIds | None = field(default=None, repr=False, compare=False)  # see store_snapshots

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


@dataclass(frozen=True)
class Moment:
    """A point in time to describe customers at, and which features are wanted then (None: all of them;
    the health trend's earlier months need only the health components)."""

    as_of: dt.datetime
    features: tuple[str, ...] | None = None

    def wants(self, *names: str) -> bool:
        """Whether any of these features is wanted at this moment."""
        return self.features is None or any(name in self.features for name in names)


def store_features(
    engine: Engine, settings: Settings, as_of: dt.datetime, horizon_days: int = 90
) -> ChurnData:
    """Customers active at `as_of` with what was known about them then, and whether they churned within
    `horizon_days` after it: incidents (30 and 90 days, lifetime), unresolved contacts, open cases, the
    latest NPS, feedback ratings, usage, tenure and revenue."""
    return store_snapshots(engine, settings, [Moment(as_of)], horizon_days)[0]


@dataclass(frozen=True)
class SharedIds:
    """The customers of one snapshot pass, sorted by id, and which of them a snapshot holds (row numbers):
    snapshots of one pass share these, so the health history can code customers by row, not by string.
    `arrow_ids` and `arrow_segment`: the same as the engine's Arrow strings, which pandas keeps as they are
    (a table of a million customers is made without converting a million Python strings back)."""

    ids: np.ndarray
    segment: np.ndarray | pd.Categorical[Any]
    rows: np.ndarray
    arrow_ids: pa.ChunkedArray | None = None
    arrow_segment: pa.ChunkedArray | None = None

    def texts(self, order: np.ndarray) -> tuple[Any, Any] | None:
        """The ids and segments of the snapshot's rows `order` (positions among `rows`) as pandas makes
        strings; None where the Arrow strings are not kept or pandas keeps strings as objects."""
        if self.arrow_ids is None or self.arrow_segment is None or not isinstance(TEXT, pd.StringDtype):
            return None
        at = pa.array(self.rows[order])
        return pd.array(self.arrow_ids.take(at), dtype=TEXT), pd.array(
            self.arrow_segment.take(at), dtype=TEXT
        )


TEXT = pd.Series(["text"]).dtype  # what pandas makes of strings: Arrow strings (pandas 3) or objects


def store_snapshots(
    engine: Engine, settings: Settings, moments: list[Moment], horizon_days: int = 90
) -> list[ChurnData]:
    """`store_features` at several moments in one engine query: each table is grouped by customer once,
    with one filtered aggregate per moment (what was known then; the model's moments want every feature,
    the health trend's only the health components), so seven snapshots cost about one query, not seven.
    One row per customer active at any of the moments is fetched as Arrow columns; each snapshot keeps its
    own rows, its columns turned into float arrays directly (no intermediate frame)."""
    stamps = [ibis.literal(m.as_of) for m in moments]
    base = _base(engine.table("customers"), stamps)
    parts = [_incidents(engine, settings, moments, stamps)] + [
        build(engine, moments, stamps) for build in (_interactions, _cases, _responses, _feedback)
    ]
    joined = base
    for part in parts:
        if part is not None:
            joined = joined.left_join(part, joined.customer_id == part.customer_id).drop("customer_id_right")
    # sorted by id here, not by the engine: Arrow sorts the ids alone (the engine's ORDER BY moved every
    # wide row), and each column is read in that order as a float array, never the whole table taken
    table = joined.to_pyarrow()
    order = pc.sort_indices(table["customer_id"]).to_numpy()
    arrow_ids = table["customer_id"].take(order)
    ids = arrow_ids.to_numpy(zero_copy_only=False)
    segments = pc.fill_null(table["segment"].take(order).cast("string"), "(none)")
    segment = _categories(segments)
    shared = {name: _floats(table[name]) for name in ("revenue", "churned")}  # every moment's, read once

    def snapshot(k: int) -> ChurnData:
        suffix = f"_{k}"
        active = pc.fill_null(table[f"active{suffix}"], False).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(active[order])  # row numbers among the sorted ids
        taken = order[rows]  # the same rows in the fetched table
        own = {
            c.removesuffix(suffix): table[c]
            for c in table.column_names
            if c.endswith(suffix) and c != f"active{suffix}"
        }
        data = _assemble(own, shared, taken, ids[rows], segment[rows], moments[k].as_of, horizon_days)
        return replace(data, shared=SharedIds(ids, segment, rows, arrow_ids, segments))

    # the snapshots are gathered side by side: each is its own memory, and numpy gathers without the GIL
    return side_by_side(snapshot, range(len(moments)))


def _categories(labels: pa.ChunkedArray) -> pd.Categorical[str]:
    """Labels as categories (in sorted order) from Arrow's dictionary: a million customers' segments coded
    once, so grouping them by segment never hashes the strings again."""
    encoded = pc.dictionary_encode(labels.combine_chunks())
    names: pd.Index[str] = pd.Index([str(name) for name in encoded.dictionary.to_pylist()])
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
    return pd.Categorical.from_codes(codes, categories=names).reorder_categories(sorted(names))


def _floats(column: Any) -> np.ndarray:
    """An Arrow column as float64 (null = NaN); integers with nulls come from Arrow as floats already."""
    values = column.to_numpy(zero_copy_only=False)
    if values.dtype == np.float64:
        return np.asarray(values)
    if values.dtype.kind in "biu":
        return np.asarray(values, dtype=float)
    return np.asarray(pc.cast(column, "float64").to_numpy(zero_copy_only=False), dtype=float)


def _base(c: Any, stamps: list[Any]) -> Any:
    """Customers active at any moment: at each, whether active, tenure and days until they churned."""
    started = c.started_at.cast("timestamp")
    ended = c.ended_at.cast("timestamp")
    active = [(started.isnull() | (started <= s)) & (ended.isnull() | (ended > s)) for s in stamps]
    anywhere = active[0]
    for flag in active[1:]:
        anywhere = anywhere | flag
    c = c.filter(anywhere)
    columns: dict[str, Any] = {}
    for k, s in enumerate(stamps):
        columns[f"active_{k}"] = active[k]
        columns[f"tenure_days_{k}"] = (s.epoch_seconds() - started.epoch_seconds()) / DAY
        columns[f"churn_day_{k}"] = (ended.epoch_seconds() - s.epoch_seconds()) / DAY
    return c.select(
        customer_id=c.customer_id.cast("string"),
        segment=c.segment,
        revenue=c.revenue,
        churned=c.churned.fill_null(False),
        **columns,
    )


def _per_customer(t: Any, metrics: dict[str, Any]) -> Any:
    return t.group_by(t.customer_id.cast("string").name("customer_id")).aggregate(**metrics)


def _known(t: Any, column: str, start: dt.datetime, moments: list[Moment]) -> Any:
    """Rows of a customer with `column` after `start` and at or before the last moment."""
    last = max(m.as_of for m in moments)
    return t.filter((t[column] > start) & (t[column] <= last) & t.customer_id.notnull())


def _ago(moment: Moment, days: int) -> Any:
    return ibis.literal(moment.as_of - dt.timedelta(days=days))


def _incidents(engine: Engine, settings: Settings, moments: list[Moment], stamps: list[Any]) -> Any | None:
    """Incidents the customer met (customer-facing ones): in all, in 90 and in 30 days."""
    incidents = incident_events(engine, settings)
    if incidents is None:
        return None
    seen = _known(incidents.filter(~incidents.internal), "at", FAR, moments)
    metrics: dict[str, Any] = {}
    for k, (m, s) in enumerate(zip(moments, stamps, strict=True)):
        upto = seen.at <= s
        if m.wants("incidents_total"):
            metrics[f"incidents_total_{k}"] = seen.count(where=upto)
        for days in (90, 30):
            if m.wants(f"incidents_{days}d"):
                metrics[f"incidents_{days}d_{k}"] = seen.count(where=upto & (seen.at > _ago(m, days)))
    return _per_customer(seen, metrics) if metrics else None


def _interactions(engine: Engine, moments: list[Moment], stamps: list[Any]) -> Any | None:
    """Unresolved contacts (in all, in 90 days) and interactions in 90 days (usage)."""
    i = _known(engine.table("interactions"), "occurred_at", FAR, moments)
    unresolved = i.resolved == False  # noqa: E712 (an Ibis expression)
    metrics: dict[str, Any] = {}
    for k, (m, s) in enumerate(zip(moments, stamps, strict=True)):
        upto = i.occurred_at <= s
        recent = upto & (i.occurred_at > _ago(m, 90))
        wanted = {
            "unresolved_total": unresolved & upto,
            "unresolved_90d": unresolved & recent,
            "usage_90d": recent,
        }
        metrics |= {f"{name}_{k}": i.count(where=when) for name, when in wanted.items() if m.wants(name)}
    return _per_customer(i, metrics) if metrics else None


def _cases(engine: Engine, moments: list[Moment], stamps: list[Any]) -> Any | None:
    """Cases open at the moment, and how many days the oldest of them has been open."""
    t = _known(engine.table("cases"), "created_at", FAR, moments)
    metrics: dict[str, Any] = {}
    for k, (m, s) in enumerate(zip(moments, stamps, strict=True)):
        still_open = (t.created_at <= s) & (t.resolved_at.isnull() | (t.resolved_at > s))
        if m.wants("open_cases"):
            metrics[f"open_cases_{k}"] = t.count(where=still_open)
        if m.wants("open_case_days"):
            oldest = t.created_at.epoch_seconds().min(where=still_open)
            metrics[f"open_case_days_{k}"] = (s.epoch_seconds() - oldest) / DAY
    return _per_customer(t, metrics) if metrics else None


def _responses(engine: Engine, moments: list[Moment], stamps: list[Any]) -> Any | None:
    """The latest NPS answer and how many answers were a detractor's."""
    r = _known(engine.table("responses"), "responded_at", FAR, moments)
    r = r.filter(r.nps.notnull())
    metrics: dict[str, Any] = {}
    for k, (m, s) in enumerate(zip(moments, stamps, strict=True)):
        upto = r.responded_at <= s
        if m.wants("nps_latest", "detractor"):
            metrics[f"nps_latest_{k}"] = r.nps.argmax(r.responded_at, where=upto)
        if m.wants("detractor_answers"):
            metrics[f"detractor_answers_{k}"] = r.count(where=upto & (r.nps <= 6))
    return _per_customer(r, metrics) if metrics else None


def _feedback(engine: Engine, moments: list[Moment], stamps: list[Any]) -> Any | None:
    """Feedback of the last year: its mean rating and how many texts."""
    first = min(m.as_of for m in moments)
    f = _known(engine.table("feedback"), "received_at", first - dt.timedelta(days=365), moments)
    metrics: dict[str, Any] = {}
    for k, (m, s) in enumerate(zip(moments, stamps, strict=True)):
        year = (f.received_at <= s) & (f.received_at > _ago(m, 365))
        if m.wants("feedback_rating"):
            metrics[f"feedback_rating_{k}"] = f.rating.mean(where=year)
        if m.wants("feedback_count"):
            metrics[f"feedback_count_{k}"] = f.count(where=year)
    return _per_customer(f, metrics) if metrics else None


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


def _assemble(
    own: dict[str, Any],
    shared: dict[str, np.ndarray],
    taken: np.ndarray,
    ids: np.ndarray,
    segment: np.ndarray | pd.Categorical[Any],
    as_of: dt.datetime,
    horizon_days: int,
) -> ChurnData:
    """One snapshot as churn data from its own Arrow columns and the columns every snapshot shares, at the
    fetched rows `taken`: counts of nothing are 0, the detractor flag from the latest NPS, the label
    (churned within the horizon) and the survival time (days to churn, or censored a horizon on). Each
    feature is taken straight into one float block, the layout pandas keeps (a million customers' columns
    are not copied again on the way)."""

    def values(name: str) -> np.ndarray:
        return shared[name] if name in shared else _floats(own[name])

    known = set(own) | set(shared) | ({"detractor"} if "nps_latest" in own else set())
    names = [c for c in RISK_DIRECTION if c in known]
    block = np.empty((len(names), len(taken)))  # a column per row: the layout pandas keeps a float block in
    for row, name in zip(block, names, strict=True):
        if name != "detractor":
            source = values(name)
            np.take(source, taken, out=row, mode="clip")  # 'clip': unbuffered (every row number is valid)
        if name in COUNTS:
            row[np.isnan(row)] = 0.0
    if "detractor" in names:
        nps = block[names.index("nps_latest")]
        block[names.index("detractor")] = np.where(np.isnan(nps), np.nan, nps <= 6)
    churn_day = values("churn_day")[taken]
    label = (shared["churned"][taken] != 0) & ~np.isnan(churn_day) & (churn_day <= horizon_days)
    return ChurnData(
        ids=ids,
        features=pd.DataFrame(block.T, columns=names, copy=False),
        churned=label.astype(int),
        duration=np.where(label, churn_day, float(horizon_days)),
        revenue=shared["revenue"][taken],
        segment=segment,
        as_of=as_of,
        horizon_days=horizon_days,
        higher_is_riskier={c: RISK_DIRECTION[c] for c in names},
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


CHURN_NEEDS = (
    "`cxgap risk --file` needs a churn mapping: [outcome] with the column saying who churned (and its "
    "values, such as Yes = 1, No = 0), [drivers] naming the features, [health] weights and the customer "
    "`id` column, as in examples/telco_churn.toml"
)


def load_churn_mapping(path: str | Path) -> ChurnMapping:
    """Read and validate a churn mapping; one sentence for any mistake, and for an import mapping."""
    try:
        spec = ChurnMapping.model_validate(mapping_toml(Path(path), CHURN_NEEDS))
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, str(path), ChurnMapping)) from None
    check_reading(Path(path), spec)
    unknown = (set(spec.values) | set(spec.health) | set(spec.grows_with_time)) - set(spec.drivers)
    if unknown:
        raise ConfigError(
            f"{path}: [values]/[health]/grows_with_time name {', '.join(sorted(unknown))}, which [drivers] does not."
        )
    return spec


def read_churn_file(path: str | Path, spec: ChurnMapping) -> ChurnData:
    """A data file (a CSV as the mapping's `delimiter` and `encoding` say) as churn data through `spec`:
    one row per customer (a blank or repeated id is one sentence), each outcome 1 (churned) or 0 (still a
    customer), revenue 0 or more."""
    path = Path(path)
    optional = [c for c in (spec.id, spec.duration, spec.segment) if c] + (
        [spec.revenue.column] if spec.revenue else []
    )
    frame = read_text_table(
        path, [spec.outcome.column, *spec.drivers.values(), *optional], spec.delimiter, spec.encoding
    )
    features = pd.DataFrame({name: driver_numbers(path, frame, name, spec) for name in spec.drivers})
    churned = _outcome(path, frame, spec)
    return ChurnData(
        ids=_ids(path, frame, spec.id) if spec.id else np.arange(len(frame)).astype(str),
        features=features,
        churned=churned.astype(int),
        duration=column_numbers(path, frame, spec.duration, {}) if spec.duration else None,
        revenue=revenue_numbers(path, frame, spec.revenue) if spec.revenue else None,
        segment=frame[spec.segment].to_numpy() if spec.segment else None,
        not_for_survival=tuple(
            name
            for name, source in spec.drivers.items()
            if source == spec.duration or name in spec.grows_with_time
        ),
    )


def _outcome(path: Path, frame: pd.DataFrame, spec: ChurnMapping) -> np.ndarray:
    """Each customer's outcome, 1 (churned) or 0 (still a customer): a blank or any other value is one
    sentence naming the row, since the outcome decides who is learnt from and who is scored."""
    column = spec.outcome.column
    churned = column_numbers(path, frame, column, dict(spec.outcome.values))
    if np.isnan(churned).any():
        row = frame.index[np.flatnonzero(np.isnan(churned))[0]]
        raise InputFileError(
            f"{path} row {row}, column '{column}': the outcome is blank; every customer needs one."
        )
    odd = np.flatnonzero((churned != 0) & (churned != 1))
    if len(odd):
        raise InputFileError(
            f"{path} row {frame.index[odd[0]]}, column '{column}': the outcome is {churned[odd[0]]:g}; "
            "expected 1 (churned) or 0 (still a customer), through the outcome's values if the column "
            "holds text."
        )
    return churned


def _ids(path: Path, frame: pd.DataFrame, column: str) -> np.ndarray:
    """The customer ids, each on one row: a blank id, or an id on two rows (naming both), is one sentence,
    since a customer counted twice would be ranked and summed twice."""
    ids = frame[column].astype(object).str.strip()
    blank = np.flatnonzero(ids.eq("").to_numpy())
    if len(blank):
        raise InputFileError(
            f"{path} row {frame.index[blank[0]]}, column '{column}': the customer id is blank; every "
            "customer needs one."
        )
    again = ids.duplicated()
    if again.any():
        second = int(np.flatnonzero(again.to_numpy())[0])
        first = int(np.flatnonzero(ids.eq(ids.iloc[second]).to_numpy())[0])
        repeated = int(ids[again].nunique())
        raise InputFileError(
            f"{path} rows {frame.index[first]} and {frame.index[second]}, column '{column}': both are "
            f"customer '{ids.iloc[second]}' ({repeated:,} id{'' if repeated == 1 else 's'} repeated); each "
            "customer needs exactly one row."
        )
    return ids.to_numpy()
