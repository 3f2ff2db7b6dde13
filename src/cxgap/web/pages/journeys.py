"""Journeys: where customers fall out, what compounds and what causes what downstream, in the filtered slice,
each incident linked to the records behind it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.routes import Board, Slice
from cxgap.config import Incident, Settings
from cxgap.engine import Filters
from cxgap.journeys import JourneyReport
from cxgap.report import journey_risk_charts
from cxgap.report.findings import journey_finding
from cxgap.web.pages.chart_view import chart
from cxgap.web.pages.links import records_url
from cxgap.web.pages.render import render_page

router = APIRouter()
RECORDS = {"interactions": "interactions", "responses": "responses", "feedback": "comments"}


def incident_records(name: str, rule: Incident, filters: Filters) -> str | None:
    """The records an incident rule counts, in the slice (None for rules on cases, which have no table)."""
    source = (
        rule.source if rule.when == "value" else ("cases" if rule.when == "open_case" else "interactions")
    )
    kind = RECORDS.get(source)
    return records_url(kind, filters, incident=name) if kind else None


def measured_flow(report: JourneyReport) -> JourneyReport:
    """The report with only the touchpoints reached by enough customers, for the chart (the thin ones are
    named under it as insufficient data rather than drawn)."""
    return replace(report, flow=tuple(s for s in report.flow if s.status == "measured"))


def journey_context(report: JourneyReport, settings: Settings, filters: Filters) -> dict[str, Any]:
    """What journeys.html.j2 renders: the report, its chart, and the links from each number to its records."""
    shown = measured_flow(report)
    incidents = settings.journeys.incidents
    return {
        "title": "Journeys: where customers fall out",
        "report": report,
        "chart": chart(journey_risk_charts.flow_chart(shown), journey_finding(shown)),
        "thin_steps": [s.touchpoint for s in report.flow if s.status != "measured"],
        "incident_links": {name: incident_records(name, rule, filters) for name, rule in incidents.items()},
        "min_n": settings.analysis.min_n,
        "outcome_survey": settings.journeys.outcome_survey,
        "touchpoint_links": {
            tp: records_url("interactions", filters, touchpoint=tp)
            for tp in {s.touchpoint for s in report.flow}
            | {r.touchpoint for r in report.repeats}
            | {u.downstream for u in report.upstream}
        },
        "json": "/api/journeys" + (f"?{urlencode(filters.query())}" if filters.active else ""),
    }


@router.get("/journeys", response_class=HTMLResponse)
def journeys(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Where customers fall out, what compounds and what causes what downstream, in the filtered slice."""

    def build() -> dict[str, Any]:
        report = dashboard.journeys(slice_)
        return journey_context(report, dashboard.settings, slice_)

    return render_page(dashboard, request, "/journeys", slice_, "journeys.html.j2", build)
