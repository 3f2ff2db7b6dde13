"""The journey analysis in one call: incidents from the configured rules, then every measure."""

from __future__ import annotations

from dataclasses import replace

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters
from cxgap.journeys.incidents import caps, incident_events
from cxgap.journeys.measures import (
    channel_gaps,
    incident_load,
    journey_flow,
    repeat_contacts,
    synergy,
    upstream_links,
)
from cxgap.journeys.schemas import JourneyReport, Synergy, outcome_name
from cxgap.journeys.slice import Kept, kept
from cxgap.stats import benjamini_hochberg

NO_INTERACTIONS = (
    "The store has no interactions yet, so there are no journeys to follow: import your operational events "
    "(calls, chats, visits, orders, app sessions: customer, time, touchpoint, and whether each was handled, "
    "resolved or on time) into the interactions table with `cxgap import FILE --mapping MAPPING`."
)


def no_interactions_in(filters: Filters) -> str:
    """The note for a selection without interactions (the store has some, just none in the slice)."""
    return (
        f"No interactions in this selection ({filters.describe()}), so there are no journeys to follow: "
        "widen the period or clear a filter."
    )


def analyze_journeys(
    engine: Engine, settings: Settings, alpha: float = 0.05, filters: Filters = ALL
) -> JourneyReport:
    """Incidents per journey, their compounding damage, upstream causes, channel mismatch and repeat
    contacts; the upstream and channel tests share one Benjamini-Hochberg correction. Without any
    interactions there is no journey: the report is empty and its one note says what to import. With
    `filters`, every measure reads only the slice (see journeys.slice), narrowed in the backend."""
    with kept(engine, filters, settings.journeys.outcome_survey) as tables:
        return _analyze(engine, tables, settings, alpha, filters)


def _analyze(
    engine: Engine, tables: Kept, settings: Settings, alpha: float, filters: Filters
) -> JourneyReport:
    a, j = settings.analysis, settings.journeys
    if int(tables.table("interactions").count().execute()) == 0:
        empty = Synergy(outcome_name(j.outcome_survey), 0, None, {}, (), "insufficient data")
        anywhere = filters.active and int(engine.table("interactions").count().execute()) > 0
        note = no_interactions_in(filters) if anywhere else NO_INTERACTIONS
        return JourneyReport((), empty, (), (), (), (note,))
    notes: list[str] = []
    found = incident_events(tables, settings, notes)
    incidents = None if found is None else tables.keep(found)
    repeats = tuple(repeat_contacts(tables, j.repeat_days, a.confidence, a.min_n))
    channels = channel_gaps(tables, j.online_channels, a.confidence, a.min_n)
    if incidents is None:
        notes.append("No incident rule found anything to count; see [journeys.incidents] in cxgap.toml.")
        empty = Synergy(outcome_name(j.outcome_survey), 0, None, {}, (), "insufficient data")
        return JourneyReport((), empty, (), tuple(channels), repeats, tuple(notes))
    limits = caps(settings)
    names = [name for name, rule in j.incidents.items() if not rule.internal]
    load = incident_load(tables, incidents, limits, a.confidence, a.min_n)
    damage = synergy(tables, incidents, names, limits, j.outcome_survey, a.confidence, a.min_n)
    upstream = upstream_links(tables, incidents, a.confidence, a.min_n)
    q = benjamini_hochberg(
        [u.difference.p_value for u in upstream] + [c.difference.p_value for c in channels]
    )
    upstream = [replace(u, q_value=v, significant=v <= alpha) for u, v in zip(upstream, q, strict=False)]
    rest = q[len(upstream) :]
    channels = [replace(c, q_value=v, significant=v <= alpha) for c, v in zip(channels, rest, strict=True)]
    flow = journey_flow(tables, incidents, settings.touchpoints, a.confidence, a.min_n)
    return JourneyReport(load, damage, tuple(upstream), tuple(channels), repeats, tuple(notes), flow)
