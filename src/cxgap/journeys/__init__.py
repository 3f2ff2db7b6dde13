"""Journeys: critical incidents across touchpoints, how they compound, which upstream failure causes a
downstream one, online vs offline outcomes for the same need, and customers asking the same again."""

from __future__ import annotations

from cxgap.journeys.incidents import incident_events
from cxgap.journeys.schemas import (
    ChannelGap,
    CountDamage,
    FlowStep,
    IncidentLoad,
    JourneyReport,
    RepeatContacts,
    Synergy,
    UpstreamLink,
)
from cxgap.journeys.segment import JourneySums, only_segment
from cxgap.journeys.service import analyze_journeys
from cxgap.journeys.timeline import CustomerJourney, JourneyEvent, customer_journey

__all__ = [
    "ChannelGap",
    "CustomerJourney",
    "CountDamage",
    "FlowStep",
    "IncidentLoad",
    "JourneyEvent",
    "JourneyReport",
    "JourneySums",
    "RepeatContacts",
    "Synergy",
    "UpstreamLink",
    "analyze_journeys",
    "customer_journey",
    "incident_events",
    "only_segment",
]
