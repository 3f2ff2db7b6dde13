"""The slice of the data an analysis reads: a period of months, one segment, one channel, one touchpoint.

The same filters narrow raw tables (by a time column) and the store's rollups (by their month key), so a
filtered analysis gives the same numbers either way. Months are whole: the rollups keep no finer time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from cxgap.errors import CxgapError, StoreError

_MONTH = re.compile(r"(\d{4})-(\d{2})")
NAMES = ("since", "until", "segment", "channel", "touchpoint")
SHOWN = 20  # at most this many allowed values are listed in an error


def has_control(value: str) -> bool:
    """Whether `value` holds a control character (NUL, a line break, an escape...), which no month, segment,
    channel or touchpoint has; such a value is refused before it gets near a query."""
    return any(unicodedata.category(c) == "Cc" for c in value)


def parse_month(value: str, name: str) -> dt.date:
    """The first day of a 'YYYY-MM' month; a clear error for anything else."""
    match = _MONTH.fullmatch(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        shown = "a value with a control character" if has_control(value) else f"'{value}'"
        raise CxgapError(f"{name} = {shown} is not a month; write it as YYYY-MM, e.g. 2025-07.")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def check_known(name: str, value: str | None, known: Sequence[str], data_held: bool = False) -> None:
    """Refuse a `name` filter value the data does not hold, or one with a control character, in one
    sentence that lists what is allowed: a typo gets an answer rather than an empty report, and no
    arbitrary text reaches a query. Where no `name` value is known, only control characters are refused
    while nothing is stored (so the pages can still explain how to import); once the store holds data
    (`data_held`), every value is refused, for none can match."""
    if not value or (not has_control(value) and (value in known or (not known and not data_held))):
        return
    shown = "a value with a control character" if has_control(value) else f"'{value}'"
    if not known and has_control(value):
        raise CxgapError(
            f"{name} = {shown} is not allowed; filter values are plain text without control characters."
        )
    if not known:
        raise CxgapError(f"{name} = {shown} is not in the data: no stored record names a {name}.")
    listed = ", ".join(known[:SHOWN]) + (f" and {len(known) - SHOWN} more" if len(known) > SHOWN else "")
    raise CxgapError(f"{name} = {shown} is not in the data; choose one of: {listed}.")


@dataclass(frozen=True)
class Filters:
    """Months `since`..`until` (both 'YYYY-MM', inclusive), a segment, a channel and a touchpoint; None
    means no restriction."""

    since: str | None = None
    until: str | None = None
    segment: str | None = None
    channel: str | None = None
    touchpoint: str | None = None

    def __post_init__(self) -> None:
        for name in NAMES:
            value = getattr(self, name)
            if value == "":
                object.__setattr__(self, name, None)
            elif value is not None and name not in ("since", "until") and has_control(value):
                raise CxgapError(f"{name} holds a control character; pick its value from the filter list.")
        first = parse_month(self.since, "since") if self.since else None
        last = parse_month(self.until, "until") if self.until else None
        if first and last and first > last:
            raise CxgapError(f"The period starts ({self.since}) after it ends ({self.until}).")

    @property
    def active(self) -> bool:
        """Whether anything is restricted."""
        return any(asdict(self).values())

    @property
    def first_day(self) -> dt.date | None:
        """The first day of the period (None: from the beginning)."""
        return parse_month(self.since, "since") if self.since else None

    @property
    def end(self) -> dt.date | None:
        """The day after the period (None: to the end)."""
        if not self.until:
            return None
        last = parse_month(self.until, "until")
        return last + dt.timedelta(days=calendar.monthrange(last.year, last.month)[1])

    def query(self) -> dict[str, str]:
        """The filters as URL query parameters (the ones that are set)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def describe(self) -> str:
        """In words, for page titles and report headers: 'all data' when nothing is restricted."""
        parts = []
        if self.since or self.until:
            parts.append(f"{self.since or 'start'} to {self.until or 'now'}")
        for name in ("segment", "channel", "touchpoint"):
            if getattr(self, name):
                parts.append(f"{name} {getattr(self, name)}")
        return ", ".join(parts) if parts else "all data"

    def on_rollup(self, table: Any, touchpoint: bool = False) -> Any:
        """A rollup narrowed by its month, segment and channel keys (and touchpoint when asked)."""
        return self._narrow(table, table.month, touchpoint, table.segment)

    def on_events(self, table: Any, time: str, customers: Any = None, touchpoint: bool = False) -> Any:
        """Raw rows narrowed by a time column and their channel; by the segment of their customer (looked
        up in `customers`) when a segment is set and the rows carry no segment of their own."""
        if self.segment and "segment" not in table.columns and customers is not None:
            segments = customers.select(customers.customer_id, _segment=customers.segment)
            table = table.left_join(segments, table.customer_id == segments.customer_id).drop(
                "customer_id_right"
            )
            return self._narrow(table, table[time], touchpoint, table._segment).drop("_segment")
        segment = table.segment if "segment" in table.columns else None
        return self._narrow(table, table[time], touchpoint, segment)

    def _narrow(self, table: Any, time: Any, touchpoint: bool, segment: Any) -> Any:
        if self.first_day:
            table = table.filter(time >= self.first_day)
        if self.end:
            table = table.filter(time < self.end)
        if self.segment and segment is not None:
            table = table.filter(segment == self.segment)
        if self.channel:
            table = table.filter(table.channel == self.channel)
        if self.touchpoint and touchpoint:
            table = table.filter(table.touchpoint == self.touchpoint)
        return table


ALL = Filters()


def _values(frame: Any) -> set[str]:
    """The distinct non-missing values of a one-column frame, as text."""
    column = frame.iloc[:, 0] if len(frame.columns) else []
    return {str(v) for v in column if v is not None and v == v}


# where each kind of record keeps its channel, touchpoint and time (the rollups keep months already)
_RECORDS = (
    ("rollup_interactions", "month"),
    ("responses", "responded_at"),
    ("feedback", "received_at"),
)


def _table_or_none(engine: Any, name: str) -> Any:
    """The engine's table `name`, or None where it has none (a warehouse that maps no feedback)."""
    try:
        return engine.table(name)
    except StoreError:
        return None


def known_values(engine: Any, touchpoints: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
    """The segments, channels, touchpoints and months (YYYY-MM) the store holds (the configured touchpoints
    included), the values a filter may take: what the pages offer in their drop-downs and what the CLI and
    the API check. Survey answers without item ratings and feedback count, not only the rollups: a store of
    reviews alone has channels and months to filter by. One distinct scan per kind of record."""
    customers = engine.table("customers")
    found: dict[str, set[str]] = {"channel": set(), "touchpoint": set(touchpoints), "month": set()}
    for name, when in _RECORDS:
        table = _table_or_none(engine, name)
        if table is None:
            continue
        month = table[when].truncate("M").cast("date") if when != "month" else table[when]
        frame = table.select(channel=table.channel, touchpoint=table.touchpoint, month=month).distinct()
        rows = frame.execute()
        found["channel"] |= _values(rows[["channel"]])
        found["touchpoint"] |= _values(rows[["touchpoint"]])
        found["month"] |= {f"{m:%Y-%m}" for m in rows["month"] if m is not None and m == m}
    return {
        "segment": tuple(sorted(_values(customers.select("segment").distinct().execute()))),
        **{name: tuple(sorted(values)) for name, values in found.items()},
    }


def holds_data(engine: Any) -> bool:
    """Whether any customer, survey answer, feedback text or interaction is stored (reads one row of each
    at most)."""
    for name in ("customers", "responses", "feedback", "interactions"):
        table = _table_or_none(engine, name)
        if table is not None and int(table.limit(1).count().execute()):
            return True
    return False


def touchpoints_of(engine: Any, configured: Sequence[str]) -> list[str]:
    """The journey stages an analysis walks: the configured ones in their order, or, where cxgap.toml names
    none, those the store's answers and interactions hold, in alphabetical order."""
    if configured:
        return list(configured)
    answered = engine.table("responses").select("touchpoint").distinct().execute()
    events = engine.table("rollup_interactions").select("touchpoint").distinct().execute()
    return sorted(_values(answered) | _values(events))


def items_of(engine: Any, configured: dict[str, str]) -> dict[str, str]:
    """Item code -> dimension: cxgap.toml's [items], or, where it names none, every item the store's
    ratings hold as a dimension of its own, so each item's gaps and drivers are measured from the start."""
    if configured:
        return dict(configured)
    rated = engine.table("rollup_items").select("item").distinct().execute()
    return {item: item for item in sorted(_values(rated))}


def with_data_defaults(engine: Any, settings: Any) -> Any:
    """`settings` with the journey stages and items the data holds where cxgap.toml names none (see
    touchpoints_of and items_of); the settings themselves where it names both."""
    if settings.touchpoints and settings.items:
        return settings
    items = items_of(engine, settings.items)
    return settings.model_copy(
        update={
            "touchpoints": touchpoints_of(engine, settings.touchpoints),
            "items": items,
            "dimensions": settings.dimensions
            if settings.items
            else sorted(set(items.values())) or settings.dimensions,
        }
    )


def checked(filters: Filters, engine: Any, touchpoints: Sequence[str] = ()) -> Filters:
    """`filters` after refusing a segment, channel or touchpoint the store does not hold (one sentence
    listing what is allowed), so a typo in a command gets an answer rather than an empty report."""
    if filters.segment or filters.channel or filters.touchpoint:
        known, held = known_values(engine, touchpoints), holds_data(engine)
        for name in ("segment", "channel", "touchpoint"):
            check_known(name, getattr(filters, name), known[name], held)
    return filters


def slice_rows(engine: Any, filters: Filters) -> dict[str, int]:
    """How many survey answers, feedback texts and interactions the slice holds (counted by the backend;
    interactions from their rollup): all zero means nothing can be measured in it."""
    customers = engine.table("customers")
    responses = filters.on_events(engine.table("responses"), "responded_at", customers, touchpoint=True)
    feedback = filters.on_events(engine.table("feedback"), "received_at", customers, touchpoint=True)
    events = filters.on_rollup(engine.table("rollup_interactions"), touchpoint=True)
    return {
        "responses": int(responses.count().execute()),
        "feedback": int(feedback.count().execute()),
        "interactions": int(events.interactions.sum().fill_null(0).execute()),
    }
