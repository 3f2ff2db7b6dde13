"""The JSON API under /api/: the very result objects the pages render, as plain JSON (NaN as null)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from cxgap import journeys as journeys_module
from cxgap.api.act_first import priorities, priority_json
from cxgap.api.auth import (
    ANALYSTS,
    WITHHELD,
    Analyst,
    Person,
    User,
    sees_customers,
    team_cases_elsewhere,
)
from cxgap.api.dashboard import Dashboard
from cxgap.api.results import plain
from cxgap.engine import Filters
from cxgap.engine.filters import NAMES, check_known
from cxgap.errors import CxgapError, NotFound
from cxgap.gaps import describe, figure
from cxgap.metrics import GROUPINGS, METRICS
from cxgap.plain import score_table_json
from cxgap.store import describe_url
from cxgap.surveys.weighted import WeightedScores
from cxgap.text.service import TextReport


def board(request: Request) -> Dashboard:
    """The app's dashboard (its store, engine and cache)."""
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


Board = Annotated[Dashboard, Depends(board)]


def filters(
    request: Request,
    dashboard: Board,
    since: Annotated[str | None, Query(description="First month of the period, YYYY-MM.")] = None,
    until: Annotated[str | None, Query(description="Last month of the period, YYYY-MM (inclusive).")] = None,
    segment: Annotated[str | None, Query(description="Customer segment.")] = None,
    channel: Annotated[str | None, Query(description="Channel of the response or interaction.")] = None,
    touchpoint: Annotated[str | None, Query(description="Touchpoint (journey stage).")] = None,
) -> Filters:
    """The filters of a request, checked before any query runs: a malformed month, or a segment, channel
    or touchpoint the data does not hold, is a user error (400 with one sentence saying what is allowed), as
    is a filter given twice (one value each: the last used to win silently)."""
    for name in NAMES:
        if len(given := request.query_params.getlist(name)) > 1:
            raise CxgapError(f"{name} is given {len(given)} times; a filter takes one value.")
    if segment or channel or touchpoint:
        known, held = dashboard.choices(), not dashboard.empty()
        check_known("segment", segment, known.segments, held)
        check_known("channel", channel, known.channels, held)
        check_known("touchpoint", touchpoint, known.touchpoints, held)
    return Filters(since, until, segment, channel, touchpoint)


Slice = Annotated[Filters, Depends(filters)]


def text_summary(report: TextReport) -> dict[str, Any]:
    """A text report as JSON: counts, the sentiment mode and its held-out quality, themes and alerts
    (whether the alert check could run at all), and notes on what the texts lack."""
    mood = report.sentiment
    return {
        "texts": report.texts,
        "available": report.available,
        "sampled": report.sampled,
        "sentiment": {"mode": mood.mode, "evaluation": plain(mood.evaluation)},
        "themes": [plain(t) for t in report.themes],
        "alerts": [plain(a) | {"sentence": a.sentence()} for a in report.alerts],
        "alerts_checked": report.alerts_checked,
        "notes": list(report.notes),
    }


def weighted_json(result: WeightedScores, metric: str) -> dict[str, Any]:
    """One headline score weighted to the customer base as JSON (see WeightedScore.as_dict), with what
    the base was and the variables it was weighted by."""
    found = result.get(metric)
    if found is None:
        raise CxgapError(f"metric = '{metric}' has no weighted score; weighted scores are nps, csat and ces.")
    return found.as_dict() | {"base": result.describe(), "variables": list(result.variables)}


router = APIRouter(prefix="/api", tags=["api"])


@router.get("/status")
def status(dashboard: Board) -> dict[str, Any]:
    """Where the store is and how many rows each table holds."""
    store = dashboard.store
    return {"store": describe_url(store.url), "revision": store.revision(), "rows": store.counts()}


@router.get("/filters")
def filter_choices(dashboard: Board) -> dict[str, Any]:
    """The values each filter can take in this store."""
    return dict(plain(dashboard.choices()))


@router.get("/gaps")
def gap_report(
    dashboard: Board,
    slice_: Slice,
    kind: str | None = None,
    subject: str | None = None,
    overall: Annotated[bool, Query(description="Only company-wide gaps (no touchpoint).")] = False,
) -> dict[str, Any]:
    """Every measured gap of the slice (value, interval, p, q, reach, priority), what is missing, the
    headline; `kind`, `subject` and `overall` narrow the list (the evidence behind a page's row)."""
    data = dict(plain(dashboard.gaps(slice_)))
    data["gaps"] = [
        g
        for g in data["gaps"]
        if (kind is None or g["kind"] == kind)
        and (subject is None or g["subject"] == subject)
        and (not overall or g["touchpoint"] is None)
    ]
    data["filters"] = slice_.query()
    return data


@router.get("/gaps/act-first")
def act_first(dashboard: Board, slice_: Slice, limit: int = 10) -> list[dict[str, Any]]:
    """Where to act first: shortfalls ranked by yearly value at stake, then reach and effect (leaders'
    beliefs apart, on the perception page)."""
    currency = dashboard.settings.company.currency
    return [priority_json(p, currency) for p in priorities(dashboard, slice_).items[:limit]]


@router.get("/scores")
def scores(
    dashboard: Board,
    slice_: Slice,
    metric: Annotated[str, Query(description=f"One of {', '.join(METRICS)}.")] = "nps",
    by: Annotated[str, Query(description=f"Comma-separated groupings from {', '.join(GROUPINGS)}.")] = "",
    period: Annotated[
        Literal["month", "quarter", "year"], Query(description="What `by=period` groups by.")
    ] = "month",
    weighted: Annotated[
        bool, Query(description="Add the score weighted to the customer base (nps, csat, ces; no `by`).")
    ] = False,
) -> dict[str, Any]:
    """A CX metric of the slice by any grouping; every cell with n and its interval (`period`: months,
    quarters or years); with `weighted`, also the slice's score raked to its customer base, with effective
    n and design effect. The same table as `cxgap metrics --format json` for the same query."""
    keys = tuple(b.strip() for b in by.split(",") if b.strip())
    if metric not in METRICS:
        raise CxgapError(f"metric = '{metric}' is not one of {', '.join(METRICS)}.")
    if weighted and keys:
        raise CxgapError(
            "Weighted scores are for the whole slice; leave out `by` (filter the slice instead)."
        )
    table = score_table_json(dashboard.score_table(metric, keys, slice_, period))
    if weighted:
        table["weighted"] = weighted_json(dashboard.weighted(slice_), metric)
    return table


@router.get("/operations")
def operations(dashboard: Board, slice_: Slice) -> list[dict[str, Any]]:
    """Per touchpoint: standards and promises against actuals, next to its customers' CSAT, CES and NPS."""
    return [
        {
            "touchpoint": t.touchpoint,
            "gaps": [dict(plain(g)) | {"finding": describe(g), "figure": figure(g)} for g in t.gaps],
        }
        | {
            m: plain(getattr(t, m)) | {"figure": getattr(t, m).figure()} if getattr(t, m) else None
            for m in ("csat", "ces", "nps")
        }
        for t in dashboard.operations(slice_)
    ]


@router.get("/drivers")
def key_drivers(
    dashboard: Board,
    slice_: Slice,
    level: Annotated[str, Query(description="dimensions, items or touchpoints.")] = "dimensions",
) -> dict[str, Any]:
    """Key drivers of NPS in the slice with bootstrap intervals, or why there are none."""
    report = dashboard.drivers(slice_, level)
    if isinstance(report, str):
        return {"drivers": [], "reason": report}
    return dict(plain(report))


@router.get("/text")
def text(dashboard: Board, slice_: Slice, who: Person) -> dict[str, Any]:
    """Themes (volume, negativity, NPS impact with q-values), sentiment and alerts of the slice's texts;
    the verbatim examples only for analysts and admins."""
    summary = text_summary(dashboard.text(slice_))
    if not sees_customers(who):
        summary["themes"] = [{k: v for k, v in t.items() if k != "examples"} for t in summary["themes"]]
        summary["notes"].append(WITHHELD)
    return summary


@router.get("/text/themes/{theme}")
def theme_texts(
    dashboard: Board,
    slice_: Slice,
    who: User,
    theme: str,
    limit: Annotated[int, Query(ge=1, le=1_000, description="Texts listed, most typical first.")] = 100,
) -> dict[str, Any]:
    """The texts behind one theme of the slice, the most typical first: each text's id and kind, its
    sentiment and the theme's score, and the verbatim (analysts and admins only: customer-level data)."""
    who.require(*ANALYSTS)
    return theme_texts_json(dashboard.text(slice_), theme, limit)


def theme_texts_json(report: TextReport, theme: str, limit: int) -> dict[str, Any]:
    """The texts of `theme` in a text report as JSON (and how many carry it, of how many read)."""
    if report.per_text is None:
        raise NotFound(f"There is no theme '{theme}'.")
    rows = report.per_text.of_theme(theme, limit)
    carrying = sum(theme in carried for carried in report.assignment.themes)
    return {
        "theme": theme,
        "texts": carrying,
        "of": report.texts,
        "sampled": report.sampled,
        "rows": plain(rows.to_dict("records")),
    }


@router.get("/journeys")
def journeys(dashboard: Board, slice_: Slice) -> dict[str, Any]:
    """Incidents per journey, their damage and synergy, upstream causes, channel mismatch, repeat contacts
    and where customers fall out, for the customers and records of the slice."""
    return dict(plain(dashboard.journeys(slice_)))


@router.get("/journeys/customers/{customer_id}")
def customer_journey(dashboard: Board, customer_id: str, who: Analyst) -> dict[str, Any]:
    """One customer's journey: every interaction, answer, feedback and case in order, with its incidents
    (analysts and admins; a team member only for a customer with a case of their team, and only those
    cases)."""
    others = team_cases_elsewhere(dashboard.store, customer_id, who.scope)
    journey = journeys_module.customer_journey(dashboard.engine, dashboard.settings, customer_id)
    data = dict(plain(journey)) | {"incident_count": journey.incidents}
    if others:
        data["events"] = [
            e for e in data["events"] if not (e["source"] == "case" and e["record_id"] in others)
        ]
    return data


@router.get("/risk")
def risk(
    dashboard: Board,
    slice_: Slice,
    who: Person,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Riskiest customers listed.")] = 50,
) -> dict[str, Any]:
    """Churn risk and health: model quality on held-out customers, revenue at risk and health per segment,
    the health trend, and the riskiest customers with their reasons in words (analysts and admins only),
    for the current customers of the slice (scored by one model fitted on the whole store)."""
    report = dashboard.risk(slice_)
    if isinstance(report, str):
        return {"measured": False, "reason": report}
    summary = {
        f.name: getattr(report, f.name) for f in dataclasses.fields(report) if f.repr and f.name != "scored"
    }
    if not sees_customers(who):
        return {"measured": True} | dict(plain(summary)) | {"riskiest": None, "withheld": WITHHELD}
    riskiest = report.riskiest(limit).to_dict("records")
    return {"measured": True} | dict(plain(summary)) | {"riskiest": plain(riskiest)}
