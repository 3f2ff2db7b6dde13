"""Saved views in a real browser (Debian's chromium against a real server): filter the risk page by segment,
save the view, open it again from "My views" on another page, copy its link and open that in a fresh tab
signed in as someone else, who sees the same slice under their own role; then delete the view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.api.browser_pages import DESKTOP, SLOW, Site, demo_site
from tests.api.signing import PASSWORD

NAME = "Small business risk"
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("views")) as running:
        yield running


def _tab(chromium: Any, site: Site, name: str) -> Any:
    """A tab in a fresh browser context (its own cookies and clipboard), signed in through the form."""
    context = chromium.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.set_default_timeout(SLOW)
    tab.goto(site.base + "/sign-in", wait_until="networkidle")
    tab.fill("#username", name)
    tab.fill("#password", PASSWORD)
    tab.click("#sign-in button")
    tab.wait_for_url(site.base + "/")
    return tab


def _revenue(tab: Any) -> str:
    """The yearly revenue at risk of all customers in the view, once the risk page's numbers are there."""
    tab.wait_for_selector("#revenue tbody tr .money")
    return str(tab.inner_text("#revenue tbody tr:first-child .money"))


def test_a_saved_view_opens_again_and_its_link_shows_the_same_slice(
    chromium: Any, site: Site, artifacts: Path
) -> None:
    ana = _tab(chromium, site, "ana")
    ana.goto(site.base + "/risk", wait_until="networkidle")
    everyone = _revenue(ana)
    ana.select_option("#filter-segment", "small_business")
    ana.wait_for_url("**/risk?*segment=small_business*")
    ana.wait_for_selector("#risk-scope:has-text('small_business')")
    small = _revenue(ana)
    assert small != everyone and small.startswith("EUR ")
    ana.wait_for_selector("#saved-views:not([hidden])")  # shown to a signed-in person
    ana.fill("#view-name", NAME)
    ana.click("#save-view button")
    ana.wait_for_selector(f"#save-view-done:has-text('Saved \u201c{NAME}\u201d')")
    ana.wait_for_selector(f"#my-views-list a.open-view:has-text('{NAME}')")
    ana.screenshot(path=str(artifacts / "views-saved.png"), full_page=True)
    found = Axe().run(ana).response["violations"]
    blocking = [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found if v["impact"] in BLOCKING]
    assert blocking == []  # the saved views, with a view listed, pass axe-core

    # on another page, "My views" opens it again: the same page, filters and numbers
    ana.goto(site.base + "/gaps", wait_until="networkidle")
    ana.click("#my-views summary")
    ana.click(f"#my-views-list a.open-view:has-text('{NAME}')")
    ana.wait_for_url("**/risk?segment=small_business")
    assert ana.eval_on_selector("#filter-segment", "e => e.value") == "small_business"
    assert _revenue(ana) == small and ana.query_selector("#riskiest a[href^='/customers/']")

    # "Copy link" copies the plain page address with its filters
    ana.click("#my-views summary")
    ana.click(f"#my-views-list li:has-text('{NAME}') button.copy-link")
    ana.wait_for_selector("#my-views-done:has-text('Link copied')")
    link = ana.evaluate("() => navigator.clipboard.readText()")
    assert link == site.base + "/risk?segment=small_business"

    # a fresh tab signed in as a viewer: the same slice and numbers, under the viewer's own role
    vic = _tab(chromium, site, "vic")
    vic.goto(link, wait_until="networkidle")
    assert vic.eval_on_selector("#filter-segment", "e => e.value") == "small_business"
    assert _revenue(vic) == small
    assert vic.query_selector("#withheld") and not vic.query_selector("#riskiest")
    vic.click("#my-views summary")
    vic.wait_for_selector("#no-views")  # the viewer's own list: ana's view is not in it
    vic.screenshot(path=str(artifacts / "views-shared-link-viewer.png"), full_page=True)
    opened = vic.goto(
        site.base + ana.eval_on_selector(f"a.open-view:has-text('{NAME}')", "a => a.getAttribute('href')")
    )
    assert opened is not None and opened.status == 404

    # deleting it empties ana's list
    ana.click(f"#my-views-list li:has-text('{NAME}') button.delete-view")
    ana.wait_for_selector("#no-views")

    # the journeys page follows the same filters, its incidents linked to their records
    ana.goto(site.base + "/journeys?segment=small_business", wait_until="networkidle")
    ana.wait_for_selector("#load tbody tr")
    assert "segment small_business" in ana.inner_text("#journeys-scope")
    assert ana.query_selector("#damage a[href^='/records/interactions?segment=small_business&incident=']")
    ana.screenshot(path=str(artifacts / "views-journeys-small-business.png"), full_page=True)
    vic.context.close()
    ana.context.close()
