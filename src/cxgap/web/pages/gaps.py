"""The gap pages: the gap map, leaders' perception against customers', and operations against their standards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.dashboard import TouchpointOperations
from cxgap.api.routes import Board, Slice
from cxgap.engine import Filters
from cxgap.gaps import GAP_KINDS, Gap, describe, figure, headline_sentence, q_text
from cxgap.report import charts
from cxgap.report.content import worst_finding
from cxgap.web.pages.chart_view import chart
from cxgap.web.pages.links import records_url
from cxgap.web.pages.render import chart_page, evidence, render_page

router = APIRouter()
SURVEY_KINDS = ("customer", "perception", "knowledge")


def glossary_anchor(kind: str) -> str:
    """The glossary entry that defines a gap kind."""
    return f"/glossary#gap-{kind}"


def records_link(gap: Gap, filters: Filters, items: dict[str, str]) -> str:
    """The records behind a gap: survey answers (narrowed to its item or dimension) for the gaps customers
    and leaders rate, the interactions that measure its metric for the operational gaps."""
    where = {"touchpoint": gap.touchpoint, "segment": gap.segment}
    if gap.kind not in SURVEY_KINDS:
        return records_url("interactions", filters, **where, metric=gap.subject)
    subject = gap.subject.rsplit(" (", 1)[0]  # "assurance (leader)" is about assurance
    narrow = {"item": subject} if subject in items else {"dimension": subject}
    if subject.startswith("superior experience"):
        narrow = {}
    return records_url("responses", filters, **where, kind=gap.kind, **narrow)


def evidence_rows(gaps: list[Gap], filters: Filters, items: dict[str, str]) -> list[dict[str, Any]]:
    """Table rows for gaps: the gap, its sentence, figure and q-value, its glossary entry, the records
    behind it, and the same gap as JSON."""
    return [
        {
            "gap": g,
            "finding": describe(g),
            "figure": figure(g),
            "q": q_text(g.q_value),
            "glossary": glossary_anchor(g.kind),
            "records": records_link(g, filters, items),
            "evidence": evidence(g, filters),
        }
        for g in gaps
    ]


@router.get("/gaps", response_class=HTMLResponse)
def gap_map(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Touchpoint x gap, each cell's largest shortfall; every gap with a link to its evidence."""

    items = dashboard.settings.items

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        page = chart_page(
            "Gap map",
            report,
            GAP_KINDS,
            [
                (
                    "gap_map",
                    charts.gap_map(report, dashboard.settings.touchpoints),
                    worst_finding(report, GAP_KINDS),
                )
            ],
            slice_,
        )
        return page | {"rows": evidence_rows([r["gap"] for r in page["rows"]], slice_, items)}

    return render_page(dashboard, request, "/gaps", slice_, "charts.html.j2", build)


@router.get("/perception", response_class=HTMLResponse)
def perception(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Leaders vs customers: the headline and the believed vs actual rating per touchpoint."""

    items = dashboard.settings.items

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        headline = headline_sentence(report.headline) if report.headline else ""
        bars = charts.gap_bars(
            report, ("perception",), "Customers' rating minus leaders' belief", role="leader"
        )
        page = chart_page(
            "Perception: leaders vs customers",
            report,
            ("perception",),
            [
                ("headline", charts.headline_chart(report), headline),
                ("perception", bars, worst_finding(report, ("perception",), "leader")),
            ],
            slice_,
        )
        return page | {"rows": evidence_rows([r["gap"] for r in page["rows"]], slice_, items)}

    return render_page(dashboard, request, "/perception", slice_, "charts.html.j2", build)


def _has_scores(ops: TouchpointOperations) -> bool:
    return any(s is not None for s in (ops.csat, ops.ces, ops.nps))


@router.get("/operations", response_class=HTMLResponse)
def operations(request: Request, dashboard: Board, slice_: Slice) -> str:
    """SLA actuals against targets and promises, next to the same touchpoint's customer scores."""

    items = dashboard.settings.items

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        kinds = ("implementation", "communication", "design")
        bars = charts.gap_bars(report, ("implementation", "communication"), "Actual vs target and promise")
        every = dashboard.operations(slice_)
        shown = [t for t in every if t.gaps or _has_scores(t)]
        return {
            "title": "Operations: standards, promises, actuals",
            "chart": chart(bars, worst_finding(report, kinds)),
            # said once below the table, not once per touchpoint
            "unmeasured": list(dict.fromkeys(m.needs for m in report.missing if m.kind in kinds)),
            "touchpoints": [{"ops": t, "rows": evidence_rows(list(t.gaps), slice_, items)} for t in shown],
            "quiet": [t.touchpoint for t in every if t not in shown],
        }

    return render_page(dashboard, request, "/operations", slice_, "operations.html.j2", build)
