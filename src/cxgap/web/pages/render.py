"""What every page shares: the templates, the page list, rendering once per store version and filters (a
page whose results take longer than a short wait answers at once that it is computing, and fills in when
they are ready), and the rows of a gap table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cxgap.api.auth import csrf_of, person
from cxgap.api.dashboard import Dashboard
from cxgap.engine import Filters
from cxgap.gaps import Gap, GapReport, describe, figure
from cxgap.store import describe_url
from cxgap.web.pages.chart_view import chart

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parents[1] / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)
PAGES = (
    ("/", "Overview"),
    ("/gaps", "Gap map"),
    ("/perception", "Perception"),
    ("/operations", "Operations"),
    ("/drivers", "Drivers"),
    ("/text", "Text"),
    ("/journeys", "Journeys"),
    ("/risk", "Risk"),
    ("/glossary", "Glossary"),
)
LOOP_PAGES = (  # the closed loop's screens (cxgap.web.loop), a second row of the navigation
    ("/cases", "Cases"),
    ("/team", "Team"),
    ("/issues", "Issues"),
    ("/surveys", "Surveys"),
)
TEMPLATES.globals["loop_pages"] = LOOP_PAGES
CSRF_MARK = "<cxgap-csrf>"  # autoescaped data can never contain these: a "<" in it becomes "&lt;"
ACCOUNT_MARK = "<cxgap-account>"
PROGRESS_MARK = "<cxgap-progress>"


def evidence(gap: Gap, filters: Filters) -> str:
    """The API query that returns this gap (and its segment breakdown) in the current slice."""
    params = {k: v for k, v in filters.query().items() if k != "touchpoint"}
    params |= {"kind": gap.kind, "subject": gap.subject}
    params |= {"touchpoint": gap.touchpoint} if gap.touchpoint else {"overall": "true"}
    return "/api/gaps?" + urlencode(params)


def gap_rows(gaps: list[Gap], filters: Filters) -> list[dict[str, Any]]:
    """Table rows for gaps: the gap, its sentence, its figure and the link to its evidence."""
    return [
        {"gap": g, "finding": describe(g), "figure": figure(g), "evidence": evidence(g, filters)}
        for g in gaps
    ]


def render_page(
    dashboard: Dashboard,
    request: Request,
    path: str,
    filters: Filters,
    template: str,
    build: Callable[[], dict[str, Any]],
    *extra: str,
    filtered: bool = True,
    check_selection: bool = True,
) -> str:
    """A page, rendered once per (store version, page, filters): warm views cost a lookup. The cached
    page holds markers where the person's CSRF token and account links go, filled in per request.
    `check_selection`: say "no data for this selection" when the slice holds no answers, feedback or
    interactions (off for a page that lists something else, such as the customers of a segment)."""

    def render() -> str:
        context = {
            "store": describe_url(dashboard.store.url),
            "pages": PAGES,
            "path": path,
            "filters": filters,
            "personal": True,
        }
        if dashboard.empty():
            return TEMPLATES.get_template("empty.html.j2").render(**context, title="No data yet")
        context["choices"] = dashboard.choices() if filtered else None
        from cxgap.web.pages.selection import selection_state

        nothing = selection_state(dashboard, filters) if filtered and check_selection else None
        if nothing:
            title = dict(PAGES).get(path, "No data")
            return TEMPLATES.get_template("no_data.html.j2").render(**context, title=title, message=nothing)
        return TEMPLATES.get_template(template).render(**context, **build())

    key = ("page", path, filters, *extra)
    if dashboard.keeps(key):
        dashboard.pages[key] = render  # rendered again in the background after each import
    found = dashboard.cache.peek(key)
    if found is not None and not found.stale:
        page: str = found.value  # the warm path: one lookup
    elif not polls(request):
        page = dashboard.cache.get(key, render)  # a script waits for the whole page
    else:
        ready, page = dashboard.answers.within(
            key, lambda: dashboard.cache.get(key, render), dashboard.page_wait
        )
        if not ready:
            page = loading_page(dashboard, request, path, filters, filtered)
    if dashboard.precomputes and dashboard.cache.last_version is not None:
        dashboard.precompute.ensure(dashboard.cache.last_version)  # after an import: the default views
    return personalise(page, request)


def polls(request: Request) -> bool:
    """Whether the client can show a page that fills itself in: a browser opening a page (it accepts
    HTML) or htmx swapping one. Other clients (scripts, exports) wait for the whole page."""
    return request.headers.get("hx-request") == "true" or "text/html" in request.headers.get("accept", "")


def loading_page(dashboard: Dashboard, request: Request, path: str, filters: Filters, filtered: bool) -> str:
    """The page without its results, saying they are computing; htmx asks again every second and swaps
    the results in when they are ready (without script, the person reloads)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return TEMPLATES.get_template("loading.html.j2").render(
        store=describe_url(dashboard.store.url),
        pages=PAGES,
        path=path,
        filters=filters,
        personal=True,
        choices=dashboard.choices() if filtered else None,
        title=dict(PAGES).get(path, "Computing"),
        here=here,
    )


def progress_block(request: Request) -> str:
    """The banner of the background computation of the default views (empty once they are all ready)."""
    dashboard: Dashboard | None = getattr(request.app.state, "dashboard", None)
    if dashboard is None:
        return ""
    return TEMPLATES.get_template("progress.html.j2").render(progress=dashboard.precompute.progress())


def personalise(page: str, request: Request) -> str:
    """Fill a cached page's markers with this person's CSRF token and their name with a sign-out button
    (a kiosk reader gets a sign-in link), and the progress of the default views as it is now."""
    who = person(request)
    account = TEMPLATES.get_template("account.html.j2").render(who=who, csrf=csrf_of(request))
    page = page.replace(CSRF_MARK, csrf_of(request)).replace(ACCOUNT_MARK, account)
    return page.replace(PROGRESS_MARK, progress_block(request)) if PROGRESS_MARK in page else page


def chart_page(
    title: str,
    report: GapReport,
    kinds: tuple[str, ...],
    chart_list: list[tuple[str, Any, str]],
    filters: Filters,
) -> dict[str, Any]:
    shown = sorted((g for g in report.gaps if g.kind in kinds), key=lambda g: -g.priority)
    return {
        "title": title,
        "charts": [{"key": k, **chart(spec, finding)} for k, spec, finding in chart_list],
        "rows": gap_rows(shown, filters),
    }
