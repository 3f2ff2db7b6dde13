"""The slice of the store a filtered journey analysis reads, as engine expressions (nothing is fetched).

A slice is what a store holding only the selection would hold. Its customers are those of the segment and,
when a period, channel or touchpoint is chosen, with a survey response or an interaction inside it (as the
risk page counts them). Their interactions, feedback, cases and responses are those within the period,
through the channel and at the touchpoint (cases have no channel). The outcome survey's responses are the
yardstick incident damage is measured on, so the channel and touchpoint do not narrow them: a relationship
survey belongs to no touchpoint, and dropping it would leave nothing to measure the damage on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from cxgap.engine import Engine, Filters


class Tables(Protocol):
    """What the journey measures read from: Ibis tables by name (an Engine, or a slice of one)."""

    def table(self, name: str) -> Any:
        """An Ibis table expression for a cxgap table."""
        ...


# per table: its time column, and whether it names a channel and a touchpoint
EVENTS = {
    "interactions": ("occurred_at", True, True),
    "responses": ("responded_at", True, True),
    "feedback": ("received_at", True, True),
    "cases": ("created_at", False, True),
}


class JourneySlice:
    """Engine tables narrowed to one filter selection: `table(name)` answers like `Engine.table`, so every
    journey measure runs unchanged on the slice, and the backend does the narrowing."""

    def __init__(self, engine: Engine, filters: Filters, outcome_survey: str) -> None:
        self.engine = engine
        self.filters = filters
        self.outcome_survey = outcome_survey

    @property
    def backend(self) -> str:
        """The backend of the underlying engine ('duckdb' or 'postgresql')."""
        return self.engine.backend

    def customers(self) -> Any:
        """The customers of the segment and, with a period, channel or touchpoint, with a response or an
        interaction inside it."""
        return customers_in(self.engine, self.filters)

    def _events(self, name: str, strict: bool) -> Any:
        """An event table within the period, channel and touchpoint (`strict`: the outcome survey too)."""
        return events_in(self.engine, self.filters, name, None if strict else self.outcome_survey)

    def table(self, name: str) -> Any:
        """The table `name` restricted to the slice; tables that are not events (standards) stay whole."""
        if name == "customers":
            return self.customers()
        if name not in EVENTS:
            return self.engine.table(name)
        t = self._events(name, strict=False)
        return t.filter(t.customer_id.isin(self.customers().customer_id))


def events_in(engine: Engine, filters: Filters, name: str, outcome_survey: str | None = None) -> Any:
    """The event table `name` within the period, channel and touchpoint; with `outcome_survey`, that
    survey's responses whatever their channel and touchpoint."""
    time, has_channel, has_touchpoint = EVENTS[name]
    f, t = filters, engine.table(name)
    if f.first_day:
        t = t.filter(t[time] >= f.first_day)
    if f.end:
        t = t.filter(t[time] < f.end)
    outcome = t.survey_kind == outcome_survey if name == "responses" and outcome_survey else None
    if f.channel and has_channel:
        t = t.filter(_or(t.channel == f.channel, outcome))
    if f.touchpoint and has_touchpoint:
        t = t.filter(_or(t.touchpoint == f.touchpoint, outcome))
    return t


def customers_in(engine: Engine, filters: Filters) -> Any:
    """The customers of a slice, as an expression: those of its segment and, with a period, channel or
    touchpoint, with a survey response or an interaction inside it (as the risk page counts them)."""
    c = engine.table("customers")
    if filters.segment:
        c = c.filter(c.segment == filters.segment)
    if filters.since or filters.until or filters.channel or filters.touchpoint:
        active = [events_in(engine, filters, name).customer_id for name in ("responses", "interactions")]
        c = c.filter(c.customer_id.isin(active[0]) | c.customer_id.isin(active[1]))
    return c


def _or(condition: Any, keep: Any) -> Any:
    """`condition`, or rows that `keep` holds for (outcome responses), when there is a `keep`."""
    return condition if keep is None else condition.fill_null(False) | keep


def sliced(engine: Engine, filters: Filters, outcome_survey: str) -> Tables:
    """The engine itself for no selection, else the slice of it (same `table` interface)."""
    return JourneySlice(engine, filters, outcome_survey) if filters.active else engine


class Kept:
    """Tables one journey analysis reads many times, each computed once and kept in the backend (a temporary
    table of this thread's connection) until the analysis ends: the slice's events and customers, which the
    measures would otherwise narrow again in every query, and whatever `keep` is given (the incidents)."""

    def __init__(self, source: Tables, names: tuple[str, ...]) -> None:
        self.source = source
        self.names = names
        self._tables: dict[str, Any] = {}
        self._held: list[Any] = []

    def keep(self, expr: Any) -> Any:
        """`expr` computed now and kept as a temporary table; the table expression that reads it."""
        kept = expr.cache()
        self._held.append(kept)
        return kept

    def table(self, name: str) -> Any:
        """The source's table `name`, kept on first use when it is one of `names`."""
        if name not in self.names:
            return self.source.table(name)
        if name not in self._tables:
            self._tables[name] = self.keep(self.source.table(name))
        return self._tables[name]

    def release(self) -> None:
        """Drop every kept table."""
        held, self._held, self._tables = self._held, [], {}
        for table in held:
            table.release()


@contextmanager
def kept(engine: Engine, filters: Filters, outcome_survey: str) -> Iterator[Kept]:
    """The tables of a journey analysis (the slice's, kept; the whole store's tables as they are), with
    the kept ones dropped when the analysis is done."""
    names = ("customers", *EVENTS) if filters.active else ()
    tables = Kept(sliced(engine, filters, outcome_survey), names)
    try:
        yield tables
    finally:
        tables.release()
