"""One customer's record: who they are, and everything that happened to them in time order (interactions,
survey answers with their item ratings, comments and reviews, cases with their status), with the incidents
the journey rules call each step, and their churn risk and health with the reasons in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from cxgap.churn import RiskReport
from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.errors import NotFound
from cxgap.journeys.incidents import incident_events
from cxgap.journeys.timeline import score_text
from cxgap.records.query import plain_rows

OPEN_STATUSES = ("open", "in_progress")
NOT_MEASURED = "Not measured yet: "  # how the risk page, and so a customer's risk, begins a reason
ATTRIBUTES = ("name", "segment", "region", "started_at", "ended_at", "churned", "revenue", "value")


@dataclass(frozen=True)
class TimelineEvent:
    """One step of the customer's history: when, what kind of record (interaction, response, feedback,
    case), its id, where and through which channel, what happened in words, the detail (item ratings, the
    text as stored, a case's summary), a case's status, and the incidents the journey rules call it."""

    at: dt.datetime | None
    source: str
    record_id: str
    touchpoint: str | None
    channel: str | None
    what: str
    detail: str
    status: str | None
    incidents: tuple[str, ...]


@dataclass(frozen=True)
class CustomerRisk:
    """The customer's churn risk within the horizon and health (0-100) from the risk model, the reasons in
    words (worded for the riskiest customers only), their rank among the customers scored, and the model's
    quality on held-out customers (AUC with its interval and n), so the number is read with its precision."""

    risk: float
    health: float
    reasons: str
    health_why: str
    rank: int
    scored: int
    horizon_days: int
    auc: float
    auc_low: float
    auc_high: float
    n_test: int


@dataclass(frozen=True)
class CustomerRecord:
    """A customer's attributes, timeline (oldest first), open cases, and risk (None when not measured, with
    the sentence that says why in `risk_unavailable`; both None when risk was not asked for)."""

    customer_id: str
    attributes: dict[str, Any]
    events: tuple[TimelineEvent, ...]
    risk: CustomerRisk | None
    risk_unavailable: str | None = None

    @property
    def open_cases(self) -> tuple[TimelineEvent, ...]:
        """The customer's cases still open or in progress."""
        return tuple(e for e in self.events if e.source == "case" and e.status in OPEN_STATUSES)

    @property
    def incidents(self) -> int:
        """Incidents along the timeline."""
        return sum(len(e.incidents) for e in self.events)

    def to_frame(self) -> pd.DataFrame:
        """The timeline, one row per event (incidents joined by commas)."""
        rows = [asdict(e) | {"incidents": ", ".join(e.incidents)} for e in self.events]
        return pd.DataFrame(rows, columns=list(TimelineEvent.__dataclass_fields__))


def _text(value: Any) -> Any:
    return value.cast("string").fill_null("")


def _events(engine: Engine, customer_id: str) -> Any:
    """The customer's interactions, responses, feedback and cases as one expression of common columns."""
    i = engine.table("interactions")
    i = i.filter(i.customer_id == customer_id)
    outcome = ibis.ifelse(i.resolved.isnull(), "", ibis.ifelse(i.resolved, " (resolved)", " (unresolved)"))
    waited = ibis.ifelse(
        i.wait_seconds.isnull(), "", "waited " + _text(i.wait_seconds.round(0).cast("int64")) + " s"
    )
    late = ibis.ifelse(i.on_time.isnull(), "", ibis.ifelse(i.on_time, " on time", " late"))
    r = engine.table("responses")
    r = r.filter(r.customer_id == customer_id)
    scores = [
        ibis.ifelse(r[m].isnull(), "", f" {m.upper()} " + score_text(r[m])) for m in ("nps", "csat", "ces")
    ]
    f = engine.table("feedback")
    f = f.filter(f.customer_id == customer_id)
    c = engine.table("cases")
    c = c.filter(c.customer_id == customer_id)
    parts = [
        i.select(
            at=i.occurred_at, source=ibis.literal("interaction"), record_id=i.interaction_id,
            touchpoint=i.touchpoint, channel=i.channel,
            what=_text(i.kind) + ibis.ifelse(i.reason.isnull(), "", ": " + _text(i.reason)) + outcome,
            detail=waited + late, status=ibis.null("string"),
        ),
        r.select(
            at=r.responded_at, source=ibis.literal("response"), record_id=r.response_id,
            touchpoint=r.touchpoint, channel=r.channel,
            what=_text(r.survey_kind) + " survey" + scores[0] + scores[1] + scores[2],
            detail=_text(r.comment), status=ibis.null("string"),
        ),
        f.select(
            at=f.received_at, source=ibis.literal("feedback"), record_id=f.feedback_id,
            touchpoint=f.touchpoint, channel=f.channel,
            what=_text(f.source) + ibis.ifelse(f.rating.isnull(), "", " rated " + _text(f.rating)),
            detail=ibis.ifelse(f.title.isnull(), "", _text(f.title) + ": ") + _text(f.text),
            status=ibis.null("string"),
        ),
        c.select(
            at=c.created_at, source=ibis.literal("case"), record_id=c.case_id,
            touchpoint=c.touchpoint, channel=ibis.null("string"),
            what="case" + ibis.ifelse(c.team.isnull(), "", " with " + _text(c.team))
            + ibis.ifelse(c.root_cause.isnull(), "", ", root cause " + _text(c.root_cause)),
            detail=_text(c.summary), status=c.status,
        ),
    ]  # fmt: skip
    shaped = [
        p.select(
            at=p.at.cast("timestamp"),
            source=p.source.cast("string"),
            record_id=p.record_id.cast("string"),
            touchpoint=p.touchpoint.cast("string"),
            channel=p.channel.cast("string"),
            what=p.what.cast("string"),
            detail=p.detail.cast("string"),
            status=p.status.cast("string"),
        )
        for p in parts
    ]
    return ibis.union(*shaped, distinct=False).order_by(["at", "source", "record_id"])


def _ratings(engine: Engine, customer_id: str) -> dict[str, str]:
    """Per response of the customer: its item ratings in words ('as_promised 5 of 6 expected; ...')."""
    r = engine.table("responses")
    items = engine.table("response_items")
    mine = r.filter(r.customer_id == customer_id).select(_rid=r.response_id)
    rated = items.inner_join(mine, items.response_id == mine._rid)
    frame = pd.DataFrame(
        rated.select("response_id", "item", "perception", "expectation")
        .order_by(["response_id", "item"])
        .execute()
    )
    out: dict[str, list[str]] = {}
    for response_id, item, perception, expectation in frame.itertuples(index=False, name=None):
        words = f"{item} {float(perception):g}" if pd.notna(perception) else f"{item} not rated"
        words += f" of {float(expectation):g} expected" if pd.notna(expectation) else ""
        out.setdefault(str(response_id), []).append(words)
    return {k: "; ".join(v) for k, v in out.items()}


def _incidents(engine: Engine, settings: Settings, customer_id: str) -> dict[str, list[str]]:
    found = incident_events(engine, settings)
    if found is None:
        return {}
    mine = found.filter(found.customer_id == customer_id).select("record_id", "incident").execute()
    out: dict[str, list[str]] = {}
    for record, name in zip(mine["record_id"], mine["incident"], strict=True):
        out.setdefault(str(record), []).append(str(name))
    return out


def unscored(report: RiskReport | str) -> str:
    """Why a customer has no risk figure, in the sentence the pages and the JSON give: the risk page's own
    when risk cannot be modelled on this store, else that only current customers are scored."""
    if isinstance(report, str):
        return f"{NOT_MEASURED}{report}"
    return (
        "Not scored: churn risk is measured for current customers, and this customer is not among the "
        f"{len(report.scored):,} scored (see the risk page)."
    )


def customer_risk(report: RiskReport | str, customer_id: str) -> CustomerRisk | None:
    """The customer's row of a risk report (None: risk not measured, or the customer not scored)."""
    if isinstance(report, str):
        return None
    scored = report.scored
    where = np.flatnonzero((scored["customer_id"].astype(str) == customer_id).to_numpy())
    if not len(where):
        return None
    row = scored.iloc[int(where[0])]
    auc = report.model.auc
    return CustomerRisk(
        float(row["risk"]),
        float(row["health"]),
        str(row.get("reasons", "") or ""),
        str(row.get("health_why", "") or ""),
        int(where[0]) + 1,
        len(scored),
        report.horizon_days,
        auc.value,
        auc.low,
        auc.high,
        report.n_test,
    )


def customer_record(
    engine: Engine, settings: Settings, customer_id: str, risk: RiskReport | str | None = None
) -> CustomerRecord:
    """Everything about one customer (NotFound when the store has neither the customer nor any record)."""
    c = engine.table("customers")
    found = c.filter(c.customer_id == customer_id).select(*ATTRIBUTES).limit(1)
    attributes = plain_rows(
        list(pd.DataFrame(found.execute()).itertuples(index=False, name=None)), found.schema()
    )
    expr = _events(engine, customer_id)
    rows = plain_rows(list(pd.DataFrame(expr.execute()).itertuples(index=False, name=None)), expr.schema())
    if not attributes and not rows:
        raise NotFound(f"There is no customer '{customer_id}' in this store.")
    ratings, incidents = _ratings(engine, customer_id), _incidents(engine, settings, customer_id)
    events = tuple(
        TimelineEvent(
            row["at"],
            row["source"],
            row["record_id"],
            row["touchpoint"],
            row["channel"],
            row["what"].strip(),
            "; ".join(p for p in (ratings.get(row["record_id"], ""), row["detail"] or "") if p)
            if row["source"] == "response"
            else (row["detail"] or "").strip(),
            row["status"],
            tuple(sorted(incidents.get(row["record_id"], []))),
        )
        for row in rows
    )
    scored = customer_risk(risk, customer_id) if risk is not None else None
    return CustomerRecord(
        customer_id,
        attributes[0] if attributes else {},
        events,
        scored,
        unscored(risk) if risk is not None and scored is None else None,
    )
