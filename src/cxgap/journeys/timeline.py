"""One customer's journey: every interaction, answer, feedback and case in time order, across touchpoints
and channels, with the incidents the rules call each one."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import pandas as pd

from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.errors import NotFound
from cxgap.journeys.incidents import incident_events


@dataclass(frozen=True)
class JourneyEvent:
    """One step of a journey: when, what kind of record, where, through which channel, what happened."""

    at: dt.datetime
    source: str  # interaction, response, feedback or case
    record_id: str
    touchpoint: str | None
    channel: str | None
    what: str
    incidents: tuple[str, ...]


@dataclass(frozen=True)
class CustomerJourney:
    """A customer's events, oldest first."""

    customer_id: str
    events: tuple[JourneyEvent, ...]

    @property
    def incidents(self) -> int:
        """Incidents along the journey (internal process failures included)."""
        return sum(len(e.incidents) for e in self.events)

    def to_frame(self) -> pd.DataFrame:
        """One row per event."""
        rows = [asdict(e) | {"incidents": ", ".join(e.incidents)} for e in self.events]
        return pd.DataFrame(rows, columns=list(JourneyEvent.__dataclass_fields__))


def _text(value: Any) -> Any:
    return value.cast("string").fill_null("")


def score_text(value: Any) -> Any:
    """A score as people write it, alike on every backend: whole numbers without a decimal point ("2"),
    converted scales' fractions to two places ("4.33")."""
    whole = value == value.round(0)
    return ibis.ifelse(whole, value.round(0).cast("int64").cast("string"), value.round(2).cast("string"))


def _records(engine: Engine, customer: str) -> pd.DataFrame:
    i = engine.table("interactions")
    i = i.filter(i.customer_id == customer)
    outcome = ibis.ifelse(i.resolved.isnull(), "", ibis.ifelse(i.resolved, " (resolved)", " (unresolved)"))
    parts = [
        i.select(
            at=i.occurred_at,
            source=ibis.literal("interaction"),
            record_id=i.interaction_id,
            touchpoint=i.touchpoint,
            channel=i.channel,
            what=_text(i.kind) + ibis.ifelse(i.reason.isnull(), "", ": " + _text(i.reason)) + outcome,
        ),
    ]
    r = engine.table("responses")
    r = r.filter(r.customer_id == customer)
    score = ibis.ifelse(r.nps.isnull(), "", " NPS " + score_text(r.nps)) + ibis.ifelse(
        r.csat.isnull(), "", " CSAT " + score_text(r.csat)
    )
    parts.append(
        r.select(
            at=r.responded_at,
            source=ibis.literal("response"),
            record_id=r.response_id,
            touchpoint=r.touchpoint,
            channel=r.channel,
            what=_text(r.survey_kind) + " survey" + score,
        )
    )
    f = engine.table("feedback")
    f = f.filter(f.customer_id == customer)
    stars = ibis.ifelse(
        f.rating.isnull(), "", " rated"
    )  # the number follows, formatted alike on every backend
    parts.append(
        f.select(
            at=f.received_at,
            source=ibis.literal("feedback"),
            record_id=f.feedback_id,
            touchpoint=f.touchpoint,
            channel=f.channel,
            what=_text(f.source) + stars,
            rating=f.rating,
        )
    )
    c = engine.table("cases")
    c = c.filter(c.customer_id == customer)
    parts.append(
        c.select(
            at=c.created_at,
            source=ibis.literal("case"),
            record_id=c.case_id,
            touchpoint=c.touchpoint,
            channel=ibis.null().cast("string"),
            what="case " + _text(c.status) + ibis.ifelse(c.team.isnull(), "", " with " + _text(c.team)),
        )
    )
    shaped = [
        p.select(
            at=p.at.cast("timestamp"),
            source=p.source.cast("string"),
            record_id=p.record_id.cast("string"),
            touchpoint=p.touchpoint.cast("string"),
            channel=p.channel.cast("string"),
            what=p.what.cast("string"),
            number=(p.rating if "rating" in p.columns else ibis.null()).cast("float64"),
        )
        for p in parts
    ]
    return pd.DataFrame(ibis.union(*shaped, distinct=False).order_by(["at", "source", "record_id"]).execute())


def _what(row: dict[Any, Any]) -> str:
    number = row.get("number")
    rating = "" if number is None or pd.isna(number) else f" {float(number):g}"
    return (str(row["what"]) + rating).strip()


def customer_journey(engine: Engine, settings: Settings, customer_id: str) -> CustomerJourney:
    """Everything that happened to one customer, in order, with the incidents the rules find in it."""
    frame = _records(engine, customer_id)
    if frame.empty:
        raise NotFound(f"There is no customer '{customer_id}' with interactions, answers, feedback or cases.")
    found: dict[str, list[str]] = {}
    incidents = incident_events(engine, settings)
    if incidents is not None:
        mine = pd.DataFrame(
            incidents.filter(incidents.customer_id == customer_id).select("record_id", "incident").execute()
        )
        for record, name in zip(mine.record_id, mine.incident, strict=True):
            found.setdefault(str(record), []).append(str(name))
    events = tuple(
        JourneyEvent(
            pd.Timestamp(row["at"]).to_pydatetime(),
            row["source"],
            str(row["record_id"]),
            row["touchpoint"] if isinstance(row["touchpoint"], str) else None,
            row["channel"] if isinstance(row["channel"], str) else None,
            _what(row),
            tuple(sorted(found.get(str(row["record_id"]), []))),
        )
        for row in frame.to_dict("records")
    )
    return CustomerJourney(customer_id, events)
