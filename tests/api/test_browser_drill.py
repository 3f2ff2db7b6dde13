"""Drill-down in a real browser (Debian's chromium against a real server on a 3,000-customer demo): from a
gap on the gap map to the answers behind it, to one of those customers' page with the timeline; the CSV
download holds every record the page counts. Screenshots are kept as test artefacts."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.browser_pages import Site
from tests.api.signing import PASSWORD

WAIT = 180_000  # ms: a cold page on a shared machine (the customer page computes churn risk once)


@pytest.fixture(scope="module")
def server(shared_site: Site) -> str:
    """The shared demo server (tests/api/conftest.py)."""
    return shared_site.base


@pytest.fixture
def tab(chromium: Any, server: str) -> Iterator[Any]:
    """A browser tab signed in as the analyst through the form."""
    page = chromium.new_page(viewport={"width": 1200, "height": 1400}, accept_downloads=True)
    page.goto(server + "/sign-in", wait_until="networkidle", timeout=WAIT)
    page.fill("#username", "ana")
    page.fill("#password", PASSWORD)
    page.click("#sign-in button")
    page.wait_for_url(server + "/", timeout=WAIT)
    yield page
    page.close()


def test_from_a_gap_to_its_answers_to_a_customer_and_the_csv(
    server: str, tab: Any, artifacts: Path, tmp_path: Path
) -> None:
    tab.goto(server + "/gaps", wait_until="networkidle", timeout=WAIT)
    link = tab.locator('a.records[href*="/records/responses"]').first
    target = link.get_attribute("href")
    link.click()
    tab.wait_for_selector("#records tbody tr", timeout=WAIT)
    assert tab.url.endswith(target) and "kind=" in target
    total = int(tab.inner_text("#records-total .total").replace(",", ""))
    shown = tab.eval_on_selector_all("#records tbody tr", "rows => rows.length")
    assert shown == min(total, 50)
    first_ids = tab.eval_on_selector_all(
        "#records tbody td.col-response_id", "cells => cells.map(c => c.textContent)"
    )
    tab.screenshot(path=str(artifacts / "drill-gap-responses.png"), full_page=True)

    with tab.expect_download(timeout=WAIT) as download:
        tab.click("#records-csv")
    saved = tmp_path / "responses.csv"
    download.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == total and [r["response_id"] for r in rows[: len(first_ids)]] == first_ids

    customer = tab.locator("#records tbody a.customer").first
    customer_id = customer.inner_text()
    customer.click()
    tab.wait_for_selector("#timeline tbody tr.event", timeout=WAIT)
    assert tab.inner_text("h2") == f"Customer {customer_id}"
    answered = tab.inner_text("#timeline")
    assert first_ids and ("survey" in answered)
    tab.wait_for_selector("#customer-risk", timeout=2 * WAIT)  # filled in once the risk model has scored
    assert "%" in tab.inner_text("#customer-risk") or "Not scored" in tab.inner_text("#customer-risk")
    tab.screenshot(path=str(artifacts / "drill-customer.png"), full_page=True)
    with tab.expect_download(timeout=WAIT) as download:
        tab.click("#timeline-csv")
    timeline = tmp_path / "timeline.csv"
    download.value.save_as(timeline)
    with timeline.open(newline="", encoding="utf-8") as f:
        events = list(csv.DictReader(f))
    assert len(events) == tab.eval_on_selector_all("#timeline tbody tr.event", "rows => rows.length")


def test_sorting_by_a_column_heading_orders_the_table(server: str, tab: Any, artifacts: Path) -> None:
    tab.goto(server + "/records/interactions?touchpoint=support&metric=wait_seconds%40call", timeout=WAIT)
    tab.wait_for_selector("#records tbody tr", timeout=WAIT)
    tab.click('#records thead a.sort[data-column="wait_seconds"]')
    tab.wait_for_url("**sort=wait_seconds**", timeout=WAIT)
    tab.wait_for_selector('#records th[aria-sort="ascending"]', timeout=WAIT)
    waits = tab.eval_on_selector_all(
        "#records td.col-wait_seconds", "cells => cells.map(c => Number(c.textContent))"
    )
    assert waits == sorted(waits) and len(waits) == 50
    tab.click('#records thead a.sort[data-column="wait_seconds"]')
    tab.wait_for_url("**sort=-wait_seconds**", timeout=WAIT)
    tab.wait_for_selector('#records th[aria-sort="descending"]', timeout=WAIT)
    down = tab.eval_on_selector_all(
        "#records td.col-wait_seconds", "cells => cells.map(c => Number(c.textContent))"
    )
    assert down == sorted(down, reverse=True) and down[0] > waits[-1]
    tab.click("#page-next")
    tab.wait_for_url("**page=2**", timeout=WAIT)
    tab.wait_for_selector("#page-previous", timeout=WAIT)
    assert "51–100" in tab.inner_text("#records-total")
    tab.screenshot(path=str(artifacts / "drill-interactions-sorted.png"), full_page=True)
