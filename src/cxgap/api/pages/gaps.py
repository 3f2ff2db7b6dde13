"""The gap pages: the gap map, leaders' perception against customers', and operations against their standards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.pages.chart_view import chart
from cxgap.api.pages.render import chart_page, gap_rows, render_page
from cxgap.api.routes import Board, Slice
from cxgap.gaps import GAP_KINDS, headline_sentence
from cxgap.report import charts
from cxgap.report.content import worst_finding

router = APIRouter()


@router.get("/gaps", response_class=HTMLResponse)
def gap_map(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Touchpoint x gap, each cell's largest shortfall; every gap with a link to its evidence."""

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        return chart_page(
            "Gap map",
            report,
            GAP_KINDS,
            [("gap_map", charts.gap_map(report), worst_finding(report, GAP_KINDS))],
            slice_,
        )

    return render_page(dashboard, request, "/gaps", slice_, "charts.html.j2", build)


@router.get("/perception", response_class=HTMLResponse)
def perception(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Leaders vs customers: the headline and the believed vs actual rating per touchpoint."""

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        headline = headline_sentence(report.headline) if report.headline else ""
        bars = charts.gap_bars(
            report, ("perception",), "Customers' rating minus leaders' belief", role="leader"
        )
        return chart_page(
            "Perception: leaders vs customers",
            report,
            ("perception",),
            [
                ("headline", charts.headline_chart(report), headline),
                ("perception", bars, worst_finding(report, ("perception",), "leader")),
            ],
            slice_,
        )

    return render_page(dashboard, request, "/perception", slice_, "charts.html.j2", build)


@router.get("/operations", response_class=HTMLResponse)
def operations(request: Request, dashboard: Board, slice_: Slice) -> str:
    """SLA actuals against targets and promises, next to the same touchpoint's customer scores."""

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        kinds = ("implementation", "communication", "design")
        bars = charts.gap_bars(report, ("implementation", "communication"), "Actual vs target and promise")
        return {
            "title": "Operations: standards, promises, actuals",
            "chart": chart(bars, worst_finding(report, kinds)),
            "touchpoints": [
                {"ops": t, "rows": gap_rows(list(t.gaps), slice_)} for t in dashboard.operations(slice_)
            ],
        }

    return render_page(dashboard, request, "/operations", slice_, "operations.html.j2", build)
