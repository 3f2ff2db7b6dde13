"""The dashboard in a real browser: Debian's chromium against a real server on 127.0.0.1. Every page loads
with its charts drawn, a filter change swaps the view and keeps it in the URL, and a number on the page
equals the API's; screenshots are kept as test artefacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.browser_pages import Site
from tests.api.signing import PASSWORD

PAGES = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk")
HEADERS: dict[str, str] = {}  # an analyst's token for the API calls the tests compare with
COMPUTED = "() => !document.getElementById('loading')"  # a slow page says 'computing' first, then fills in


@pytest.fixture(scope="module")
def server(shared_site: Site) -> str:
    """The shared demo server (tests/api/conftest.py)."""
    HEADERS["Authorization"] = f"Bearer {shared_site.tokens['ana']}"
    return shared_site.base


def _sign_in(tab: Any, server: str, name: str = "ana") -> None:
    """Sign in through the form, as a person does."""
    tab.goto(server + "/sign-in", wait_until="networkidle", timeout=120_000)
    tab.fill("#username", name)
    tab.fill("#password", PASSWORD)
    tab.click("#sign-in button")
    tab.wait_for_url(server + "/", timeout=120_000)


def _open(tab: Any, url: str) -> None:
    """Open a page and wait until its results are shown (not the 'computing' state a slow page starts with)."""
    tab.goto(url, wait_until="networkidle", timeout=120_000)
    _computed(tab)


def _computed(tab: Any) -> None:
    tab.wait_for_function(COMPUTED, timeout=180_000)


@pytest.fixture
def page(chromium: Any, server: str) -> Iterator[Any]:
    """A fresh browser tab, signed in as an analyst, that records every URL it asks for."""
    tab = chromium.new_page(viewport={"width": 1200, "height": 1400})
    _sign_in(tab, server)
    tab.requested = []
    tab.on("request", lambda request: tab.requested.append(request.url))
    yield tab
    tab.close()


def _api(server: str, path: str, **params: str) -> Any:
    return httpx.get(f"{server}{path}", params=params, headers=HEADERS, timeout=120).json()


def _relational_nps(server: str, **params: str) -> str:
    table = _api(server, "/api/scores", metric="nps", **params)
    cell = next(s for s in table["scores"] if s["group"]["survey_kind"] == "relational")
    return str(cell["figure"]).split(" [")[0]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_with_real_charts_and_nothing_from_outside(
    server: str, page: Any, path: str, artifacts: Path
) -> None:
    _open(page, server + path)
    assert page.inner_text("h2")
    marks = page.evaluate(
        "() => Array.from(document.querySelectorAll('.chart svg')).map(s => s.querySelectorAll('path, rect').length)"
    )
    assert marks and all(m > 5 for m in marks), f"{path}: charts {marks}"
    assert page.evaluate("() => typeof htmx") == "object"  # served by cxgap itself
    outside = [u for u in page.requested if not u.startswith(server)]
    assert outside == []
    name = path.strip("/") or "overview"
    page.screenshot(path=str(artifacts / f"dashboard-{name}.png"), full_page=True)


def test_a_filter_swaps_the_view_keeps_it_in_the_url_and_matches_the_api(
    server: str, page: Any, chromium: Any, artifacts: Path
) -> None:
    _open(page, server + "/")
    before = page.inner_text("#score-nps .value")
    assert before == _relational_nps(server)
    page.select_option("#filter-segment", "small_business")
    page.wait_for_url("**segment=small_business**", timeout=60_000)
    page.wait_for_selector("#slice")
    _computed(page)
    after = page.inner_text("#score-nps .value")
    assert after == _relational_nps(server, segment="small_business") != before
    assert "segment small_business" in page.inner_text("#slice")
    page.screenshot(path=str(artifacts / "dashboard-overview-small-business.png"), full_page=True)
    # the URL alone restores the view: a shared link shows the same number
    shared = chromium.new_page()
    _sign_in(shared, server)
    _open(shared, page.url)
    assert shared.inner_text("#score-nps .value") == after
    assert shared.eval_on_selector("#filter-segment", "e => e.value") == "small_business"
    shared.close()


def test_operations_put_the_standards_next_to_the_touchpoints_scores(server: str, page: Any) -> None:
    _open(page, server + "/operations")
    page.select_option("#filter-touchpoint", "support")
    page.wait_for_url("**touchpoint=support**", timeout=60_000)
    _computed(page)
    rows = page.eval_on_selector_all("#operations tbody tr", "rows => rows.map(r => r.id)")
    assert rows == ["ops-support"]
    api = _api(server, "/api/operations", touchpoint="support")
    shown = page.eval_on_selector_all("#ops-support .figure", "cells => cells.map(c => c.textContent)")
    assert shown == [g["figure"] for g in api[0]["gaps"]] and shown
    assert page.inner_text("#ops-support .score-csat") == f"CSAT {api[0]['csat']['figure']}"


def test_the_drivers_and_text_pages_show_the_apis_numbers(server: str, page: Any) -> None:
    _open(page, server + "/drivers")
    top = _api(server, "/api/drivers")["drivers"]
    best = max(top, key=lambda d: d["share"])
    assert page.inner_text("#drivers tbody tr:first-child .share").startswith(f"{100 * best['share']:.0f}%")
    _open(page, server + "/text")
    themes = _api(server, "/api/text")["themes"]
    most = max(themes, key=lambda t: t["texts"])
    assert page.inner_text("#themes tbody tr:first-child .texts") == f"{most['texts']:,}"


def test_the_journey_and_risk_pages_show_the_apis_numbers(server: str, page: Any) -> None:
    _open(page, server + "/journeys")
    journeys = _api(server, "/api/journeys")
    extra = journeys["synergy"]["per_extra_incident"]
    assert page.inner_text("#synergy").startswith(f"{extra['value']:.2f} [")
    assert "ordering → installation" in page.inner_text("#upstream")
    _open(page, server + "/risk")
    risk = _api(server, "/api/risk", limit="1")
    assert page.inner_text("#quality tbody tr:first-child .auc").startswith(
        f"{risk['model']['auc']['value']:.3f} ["
    )
    assert (
        page.inner_text("#riskiest tbody tr:first-child .risk") == f"{100 * risk['riskiest'][0]['risk']:.0f}%"
    )


def test_a_person_signs_in_browses_signs_out_and_is_refused_after(
    server: str, chromium: Any, artifacts: Path
) -> None:
    tab = chromium.new_page(viewport={"width": 1200, "height": 1400})
    _open(tab, server + "/gaps")
    assert tab.url == f"{server}/sign-in?next=%2Fgaps"  # anonymous: sent to sign in first
    tab.fill("#username", "ana")
    tab.fill("#password", PASSWORD)
    tab.click("#sign-in button")
    tab.wait_for_url(server + "/gaps", timeout=120_000)
    _computed(tab)
    assert tab.inner_text("h2") == "Gap map" and "ana (analyst)" in tab.inner_text("#account")
    tab.click("nav a[href='/text']")
    tab.wait_for_url(server + "/text", timeout=120_000)
    _computed(tab)
    assert tab.inner_text("h2") == "What customers say"
    tab.screenshot(path=str(artifacts / "dashboard-signed-in.png"))
    tab.click("#sign-out")
    tab.wait_for_url(server + "/sign-in", timeout=60_000)
    _open(tab, server + "/text")
    assert tab.url == f"{server}/sign-in?next=%2Ftext" and tab.query_selector("#sign-in")
    tab.close()
