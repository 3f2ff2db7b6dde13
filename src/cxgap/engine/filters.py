"""The slice of the data an analysis reads: a period of months, one segment, one channel, one touchpoint.

The same filters narrow raw tables (by a time column) and the store's rollups (by their month key), so a
filtered analysis gives the same numbers either way. Months are whole: the rollups keep no finer time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from cxgap.errors import CxgapError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str, name: str) -> dt.date:
    """The first day of a 'YYYY-MM' month; a clear error for anything else."""
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CxgapError(f"{name} = '{value}' is not a month; write it as YYYY-MM, e.g. 2025-07.")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


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
        for name in ("since", "until", "segment", "channel", "touchpoint"):
            if getattr(self, name) == "":
                object.__setattr__(self, name, None)
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
