"""The journey analysis in one call: incidents from the configured rules, then every measure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters, with_data_defaults
from cxgap.journeys.estimates import (
    channel_gaps,
    incident_load,
    journey_flow,
    repeat_contacts,
    synergy,
    upstream_links,
)
from cxgap.journeys.incidents import caps, incident_events
from cxgap.journeys.measures import (
    channel_sums,
    damage_sums,
    flow_sums,
    interaction_counts,
    load_sums,
    pair_counts,
    repeat_sums,
    segments_of,
)
from cxgap.journeys.schemas import JourneyReport, Synergy, outcome_name
from cxgap.journeys.segment import JourneySums, only_segment
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
    engine: Engine,
    settings: Settings,
    alpha: float = 0.05,
    filters: Filters = ALL,
    whole: JourneyReport | None = None,
) -> JourneyReport:
    """Incidents per journey, their compounding damage, upstream causes, channel mismatch and repeat
    contacts; the upstream and channel tests share one Benjamini-Hochberg correction. Without any
    interactions there is no journey: the report is empty and its one note says what to import. With
    `filters`, every measure reads only the slice (see journeys.slice), narrowed in the backend; a
    segment-only slice with `whole` (this store's unfiltered report, which keeps its sums per segment) is
    read out of it with no query (see journeys.segment)."""
    settings = with_data_defaults(engine, settings)
    if whole is not None and whole.sums is not None and only_segment(filters) and filters.segment:
        anywhere = whole.sums.interactions_total() > 0
        return _report(whole.sums.of(filters.segment), settings, alpha, filters, anywhere)
    with kept(engine, filters, settings.journeys.outcome_survey) as tables:
        by = None if filters.active else tables.keep(segments_of(tables))
        sums = _sums(tables, settings, by)
    empty = sums.interactions_total() == 0
    anywhere = filters.active and empty and int(engine.table("interactions").count().execute()) > 0
    report = _report(sums.total(), settings, alpha, filters, anywhere)
    return replace(report, sums=sums) if by is not None else report


def _sums(tables: Kept, settings: Settings, by: Any | None) -> JourneySums:
    """Every measure's sums from the tables (per segment with `by`): the only part that queries."""
    j = settings.journeys
    interactions = interaction_counts(tables, by)
    if int(interactions["n"].sum()) == 0:
        return JourneySums(interactions, pd.DataFrame(), pd.DataFrame())
    notes: list[str] = []
    found = incident_events(tables, settings, notes)
    incidents = None if found is None else tables.keep(found)
    repeats = repeat_sums(tables, j.repeat_days, by)
    channels = channel_sums(tables, j.online_channels, by)
    if incidents is None:
        return JourneySums(interactions, repeats, channels, notes=tuple(notes))
    limits = caps(settings)
    names = _visible(settings)
    return JourneySums(
        interactions,
        repeats,
        channels,
        load_sums(tables, incidents, limits),
        damage_sums(tables, incidents, names, limits, j.outcome_survey, by),
        pair_counts(tables, incidents, by),
        flow_sums(tables, incidents, settings.touchpoints, by),
        tuple(notes),
    )


def _visible(settings: Settings) -> list[str]:
    """The incident kinds a customer meets (the damage regression's terms), in configured order."""
    return [name for name, rule in settings.journeys.incidents.items() if not rule.internal]


def _report(
    sums: JourneySums, settings: Settings, alpha: float, filters: Filters, anywhere: bool
) -> JourneyReport:
    """The report from one slice's sums (`anywhere`: the store has interactions outside an empty slice)."""
    a, j = settings.analysis, settings.journeys
    empty = Synergy(outcome_name(j.outcome_survey), 0, None, {}, (), "insufficient data")
    if sums.interactions_total() == 0:
        return JourneyReport(
            (), empty, (), (), (), (no_interactions_in(filters) if anywhere else NO_INTERACTIONS,)
        )
    notes = list(sums.notes)
    repeats = tuple(repeat_contacts(sums.repeats, a.confidence, a.min_n))
    channels = channel_gaps(sums.channels, a.confidence, a.min_n)
    if sums.load is None or sums.damage is None or sums.pairs is None or sums.flow is None:
        notes.append("No incident rule found anything to count; see [journeys.incidents] in cxgap.toml.")
        return JourneyReport((), empty, (), tuple(channels), repeats, tuple(notes))
    load = incident_load(sums.load, a.confidence, a.min_n)
    damage = synergy(sums.damage, _visible(settings), j.outcome_survey, a.confidence, a.min_n)
    upstream = upstream_links(sums.pairs, a.confidence, a.min_n)
    q = benjamini_hochberg(
        [u.difference.p_value for u in upstream] + [c.difference.p_value for c in channels]
    )
    upstream = [replace(u, q_value=v, significant=v <= alpha) for u, v in zip(upstream, q, strict=False)]
    rest = q[len(upstream) :]
    channels = [replace(c, q_value=v, significant=v <= alpha) for c, v in zip(channels, rest, strict=True)]
    flow = journey_flow(sums.flow, settings.touchpoints, a.confidence, a.min_n)
    return JourneyReport(load, damage, tuple(upstream), tuple(channels), repeats, tuple(notes), flow)
