"""The overview: the scores and their trend, where to act first (ranked by value at stake, each with
"raise an issue"), what leaders believe, and the six gaps."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap import cases
from cxgap.api.act_first import priorities, value_text
from cxgap.api.auth import ANALYSTS, check_csrf, csrf_of, form_fields, person
from cxgap.api.routes import Board, Slice
from cxgap.engine import Filters
from cxgap.errors import CxgapError
from cxgap.gaps import Priorities, describe, figure, headline_sentence, q_text
from cxgap.report import charts
from cxgap.report.content import trend_finding
from cxgap.web.pages.act_issues import fill_issues, issue_block, open_issues
from cxgap.web.pages.chart_view import chart
from cxgap.web.pages.gaps import evidence_rows, glossary_anchor, records_link
from cxgap.web.pages.links import records_url
from cxgap.web.pages.render import render_page

router = APIRouter()
SURVEYS = {"nps": "relational", "csat": "transactional", "ces": "transactional"}


def act_rows(act: Priorities, filters: Filters, items: dict[str, str], currency: str) -> list[dict[str, Any]]:
    """The places to act as the overview lists them: the ranked item, its money or why there is none,
    its sentence, figure, q-value, glossary entry and the records behind it."""
    return [
        {
            "item": p,
            "value": value_text(p, currency),
            "finding": describe(p.gap),
            "figure": figure(p.gap),
            "q": q_text(p.gap.q_value),
            "glossary": glossary_anchor(p.gap.kind),
            "records": records_link(p.gap, filters, items),
            "evidence": evidence_rows([p.gap], filters, items)[0]["evidence"],
        }
        for p in act.items
    ]


def weighting_links(filters: Filters) -> dict[str, str]:
    """The overview with its scores weighted to the customer base, and without, for the same slice."""
    query = filters.query()
    return {
        "on": "/?" + urlencode(query | {"weighted": "1"}),
        "off": "/" + (f"?{urlencode(query)}" if query else ""),
    }


Weighted = Annotated[
    bool, Query(description="Also show each score weighted to the customer base (raking), side by side.")
]


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, dashboard: Board, slice_: Slice, weighted: Weighted = False) -> str:
    """NPS/CSAT/CES with intervals and trend (with `weighted`, each beside its figure weighted to the
    customer base), where to act first, what leaders believe, the six gaps."""
    settings = dashboard.settings

    def build() -> dict[str, Any]:
        report, scores = dashboard.gaps(slice_), dashboard.scores(slice_)
        act = priorities(dashboard, slice_)
        return {
            "title": "Overview",
            "headline": headline_sentence(report.headline) if report.headline else None,
            "scores": scores,
            "weighted": dashboard.weighted(slice_) if weighted else None,
            "weighting": weighting_links(slice_),
            "score_links": {
                m: records_url("responses", slice_, metric=m, kind=k) for m, k in SURVEYS.items()
            },
            "trend": chart(
                charts.trend_chart(list(scores.trend), "Scores by month, 95% intervals"),
                trend_finding(scores.trend),
            ),
            "act": act,
            "act_rows": act_rows(act, slice_, settings.items, settings.company.currency),
            "belief_rows": evidence_rows(list(act.beliefs), slice_, settings.items),
            "currency": settings.company.currency,
            "summary": report.summary(),
            "describe": describe,
            "figure": figure,
        }

    extra = ("weighted",) if weighted else ()
    page = render_page(dashboard, request, "/", slice_, "overview.html.j2", build, *extra)
    return fill_issues(page, dashboard, person(request), csrf_of(request))


Fields = Annotated[dict[str, str], Depends(form_fields)]


@router.post("/act-first/issues", response_class=HTMLResponse)
def raise_issue(request: Request, dashboard: Board, fields: Fields) -> Response:
    """Raise the closed loop's systemic issue for a place to act, with its owner and action; answers the
    issue's block (htmx swaps it in) or, from a plain form, goes back to the overview."""
    check_csrf(request, fields)
    who = person(request)
    gap = (fields.get("kind", ""), fields.get("touchpoint") or None, fields.get("subject", ""))
    csrf = csrf_of(request)
    message = ""
    if who is None or who.role not in ANALYSTS:
        message = "Only analysts and admins raise issues."
    elif not (fields.get("owner", "").strip() and fields.get("action", "").strip()):
        message = "An issue needs an owner and an action."
    else:
        existing = open_issues(dashboard, who.scope).get(gap)
        if existing is None:
            try:
                with dashboard.writing():
                    existing = cases.raise_issue(
                        dashboard.store,
                        who.user_id,
                        root_cause=fields.get("root_cause", ""),
                        touchpoint=gap[1],
                        title=fields.get("title")
                        or f"Close the {gap[0]} gap: {gap[2]} at {gap[1] or 'overall'}",
                        owner=fields["owner"].strip(),
                        team=fields.get("team", "").strip() or None,
                        action=fields["action"].strip(),
                        gap_kind=gap[0],
                        gap_subject=gap[2],
                        root_causes=tuple(dashboard.settings.cases.root_causes),
                    )
            except CxgapError as error:
                message = str(error)
        if not message:
            if not request.headers.get("hx-request"):
                return RedirectResponse("/#act-first", status_code=303)
            return HTMLResponse(issue_block(dashboard, gap, who, csrf, existing))
    # htmx swaps the refusal into the item (it leaves error statuses unswapped); a plain form gets the status
    status = 200 if request.headers.get("hx-request") else 403 if message.startswith("Only") else 409
    return HTMLResponse(issue_block(dashboard, gap, who, csrf, None, message, fields), status_code=status)
