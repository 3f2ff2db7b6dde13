"""A segment's journeys read out of the whole store's analysis: every journey measure is a sum over
customers (their incidents, answers, contacts, the touchpoints they reached), and a segment's slice holds its
customers whole with all their events, so the unfiltered analysis keeps its sums per segment (`JourneySums`,
a few hundred rows whatever the store's size) and a segment-only slice is a selection of those rows and the
same estimates, with no query: the same numbers as narrowing the tables (tests/journeys/test_segment.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from cxgap.engine import Filters

# per kept sum: the columns that are not summed (besides the segment)
KEYS = {
    "interactions": (),
    "repeats": ("touchpoint", "unresolved"),
    "channels": ("touchpoint", "reason", "online"),
    "load": ("segment", "bucket"),
    "damage": ("bucket",),
    "pairs": ("upstream", "downstream", "up_failed"),
    "flow": ("touchpoint", "hit"),
}


def only_segment(filters: Filters) -> bool:
    """Whether `filters` choose a segment and nothing else (the slices answered by selection)."""
    f = filters
    return bool(f.segment) and not (f.since or f.until or f.channel or f.touchpoint)


@dataclass(frozen=True)
class JourneySums:
    """The sums the journey estimates come from (see journeys.measures), each with a `segment` column when
    kept per segment: the customers' segment, null for customers without one and for events of customers
    the store does not know (no segment's slice holds those). `load` is always per segment (the report
    shows it so); the incident sums are None when no rule can find incidents; `notes` are the rules' own."""

    interactions: pd.DataFrame
    repeats: pd.DataFrame
    channels: pd.DataFrame
    load: pd.DataFrame | None = None
    damage: pd.DataFrame | None = None
    pairs: pd.DataFrame | None = None
    flow: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    @property
    def per_segment(self) -> bool:
        """Whether the sums are kept per segment (the unfiltered analysis's are)."""
        return "segment" in self.interactions.columns

    def _map(self, change: Callable[[str, pd.DataFrame], pd.DataFrame]) -> JourneySums:
        """Every kept sum changed by `change(name, frame)` (those without a segment column as they are)."""

        def one(name: str, frame: pd.DataFrame) -> pd.DataFrame:
            return change(name, frame) if "segment" in frame.columns else frame

        def some(name: str, frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else one(name, frame)

        return JourneySums(
            one("interactions", self.interactions),
            one("repeats", self.repeats),
            one("channels", self.channels),
            some("load", self.load),
            some("damage", self.damage),
            some("pairs", self.pairs),
            some("flow", self.flow),
            self.notes,
        )

    def total(self) -> JourneySums:
        """The sums over every segment (and over customers of none): the whole store's."""

        def summed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
            keys = list(KEYS[name])
            if name == "load":
                return frame
            if not keys:
                return frame.drop(columns="segment").sum().to_frame().T
            return frame.drop(columns="segment").groupby(keys, dropna=False, sort=True).sum().reset_index()

        return self._map(summed) if self.per_segment else self

    def of(self, segment: str) -> JourneySums:
        """The sums of one segment's customers: what the tables narrowed to that segment give."""
        if not self.per_segment:
            raise ValueError("These journey sums are not kept per segment; compute the slice instead.")

        def chosen(name: str, frame: pd.DataFrame) -> pd.DataFrame:
            rows = frame[(frame["segment"] == segment).fillna(False).to_numpy(dtype=bool)]
            return (rows if name == "load" else rows.drop(columns="segment")).reset_index(drop=True)

        return self._map(chosen)

    def interactions_total(self) -> int:
        """How many interactions these sums count."""
        return int(self.interactions["n"].sum()) if len(self.interactions) else 0
