"""The journey analysis in one call: incidents from the configured rules, then every measure."""

from __future__ import annotations

from dataclasses import replace

from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.journeys.incidents import caps, incident_events
from cxgap.journeys.measures import (
    channel_gaps,
    incident_load,
    journey_flow,
    repeat_contacts,
    synergy,
    upstream_links,
)
from cxgap.journeys.schemas import JourneyReport, Synergy
from cxgap.stats import benjamini_hochberg

NO_INTERACTIONS = (
    "The store has no interactions yet, so there are no journeys to follow: import your operational events "
    "(calls, chats, visits, orders, app sessions: customer, time, touchpoint, and whether each was handled, "
    "resolved or on time) into the interactions table with `cxgap import FILE --mapping MAPPING`."
)


def analyze_journeys(engine: Engine, settings: Settings, alpha: float = 0.05) -> JourneyReport:
    """Incidents per journey, their compounding damage, upstream causes, channel mismatch and repeat
    contacts; the upstream and channel tests share one Benjamini-Hochberg correction. Without any
    interactions there is no journey: the report is empty and its one note says what to import."""
    a, j = settings.analysis, settings.journeys
    if int(engine.table("interactions").count().execute()) == 0:
        empty = Synergy(f"{j.outcome_survey} NPS", 0, None, {}, (), "insufficient data")
        return JourneyReport((), empty, (), (), (), (NO_INTERACTIONS,))
    notes: list[str] = []
    incidents = incident_events(engine, settings, notes)
    repeats = tuple(repeat_contacts(engine, j.repeat_days, a.confidence, a.min_n))
    channels = channel_gaps(engine, j.online_channels, a.confidence, a.min_n)
    if incidents is None:
        notes.append("No incident rule found anything to count; see [journeys.incidents] in cxgap.toml.")
        empty = Synergy(f"{j.outcome_survey} NPS", 0, None, {}, (), "insufficient data")
        return JourneyReport((), empty, (), tuple(channels), repeats, tuple(notes))
    limits = caps(settings)
    names = [name for name, rule in j.incidents.items() if not rule.internal]
    load = incident_load(engine, incidents, limits, a.confidence)
    damage = synergy(engine, incidents, names, limits, j.outcome_survey, a.confidence, a.min_n)
    upstream = upstream_links(engine, incidents, a.confidence, a.min_n)
    q = benjamini_hochberg(
        [u.difference.p_value for u in upstream] + [c.difference.p_value for c in channels]
    )
    upstream = [replace(u, q_value=v, significant=v <= alpha) for u, v in zip(upstream, q, strict=False)]
    rest = q[len(upstream) :]
    channels = [replace(c, q_value=v, significant=v <= alpha) for c, v in zip(channels, rest, strict=True)]
    flow = journey_flow(engine, incidents, settings.touchpoints, a.confidence)
    return JourneyReport(load, damage, tuple(upstream), tuple(channels), repeats, tuple(notes), flow)
