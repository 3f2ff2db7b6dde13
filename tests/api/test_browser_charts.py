"""Charts in a real browser (Debian's chromium against a real server on a 3,000-customer demo): a mark's
tooltip says its value, interval and n; a chart downloads as PNG and as CSV (the rows of its data table);
the whole view downloads as one HTML file with no script and no URL."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.browser_pages import Site
from tests.api.signing import PASSWORD

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def server(shared_site: Site) -> str:
    """The shared demo server (tests/api/conftest.py)."""
    return shared_site.base


@pytest.fixture
def page(chromium: Any, server: str) -> Iterator[Any]:
    """A tab of its own, signed in through the form as an analyst, that accepts downloads."""
    context = chromium.new_context(viewport={"width": 1200, "height": 1400}, accept_downloads=True)
    tab = context.new_page()
    tab.goto(server + "/sign-in", wait_until="networkidle", timeout=120_000)
    tab.fill("#username", "ana")
    tab.fill("#password", PASSWORD)
    tab.click("#sign-in button")
    tab.wait_for_url(server + "/", timeout=120_000)
    yield tab
    context.close()


def test_a_mark_shows_its_value_interval_and_n_on_hover(server: str, page: Any, artifacts: Path) -> None:
    page.goto(server + "/perception", wait_until="networkidle", timeout=120_000)
    page.locator("#chart-perception svg").wait_for(timeout=120_000)  # a cold view may still be computing
    bar = page.locator("#chart-perception svg .role-mark [aria-label]").first
    said = bar.get_attribute("aria-label")
    assert re.search(r"\[[-\d.]+, [-\d.]+\]", said) and "n = " in said, said
    bar.hover()
    tip = page.locator("#chart-tip")
    tip.wait_for(state="visible", timeout=10_000)
    assert tip.inner_text() == said
    page.screenshot(path=str(artifacts / "chart-tooltip.png"))
    page.mouse.move(2, 2)
    tip.wait_for(state="hidden", timeout=10_000)


def test_a_chart_downloads_as_png_and_as_the_csv_of_its_data_table(
    server: str, page: Any, tmp_path: Path
) -> None:
    page.goto(server + "/gaps", wait_until="networkidle", timeout=120_000)
    figure = page.locator("#chart-gap_map")
    figure.locator("svg").wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as png:
        figure.locator(".chart-png").click()
    assert png.value.suggested_filename == "cxgap-gap_map.png"
    picture = Path(png.value.path()).read_bytes()
    assert picture.startswith(PNG_SIGNATURE) and len(picture) > 5_000
    with page.expect_download(timeout=60_000) as table:
        figure.locator(".chart-csv").click()
    assert table.value.suggested_filename == "cxgap-gap_map.csv"
    rows = list(csv.reader(io.StringIO(Path(table.value.path()).read_text(encoding="utf-8"))))
    shown = figure.locator(".chart-data tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))"
    )
    assert rows == shown and len(rows) > 10


def test_the_gap_map_has_a_row_for_every_configured_touchpoint(server: str, page: Any) -> None:
    page.goto(server + "/gaps", wait_until="networkidle", timeout=120_000)
    page.locator("#chart-gap_map svg").wait_for(timeout=120_000)
    rows = page.locator("#chart-gap_map .chart-data tbody tr").evaluate_all(
        "rows => rows.map(r => r.cells[0].textContent)"
    )
    assert set(rows) == {"overall", "sales", "ordering", "installation", "billing", "support", "app"}


def test_the_view_downloads_as_html_with_no_script_and_no_url(
    server: str, page: Any, artifacts: Path
) -> None:
    page.goto(server + "/drivers?level=items", wait_until="networkidle", timeout=120_000)
    page.locator("#chart-quadrants svg").wait_for(timeout=120_000)
    page.locator(".view-print").wait_for(state="visible", timeout=10_000)  # shown by charts.js
    with page.expect_download(timeout=120_000) as kept:
        page.locator(".view-html").click()
    assert kept.value.suggested_filename.startswith("cxgap-drivers-level-items-")
    text = Path(kept.value.path()).read_text(encoding="utf-8")
    assert "<script" not in text.lower() and re.findall(r"https?://", text) == []
    assert "<svg" in text and "<style>" in text and "Importance vs performance (nps, items)" in text
    (artifacts / "kept-view-drivers.html").write_text(text, encoding="utf-8")
    # the kept file opens on its own: it fetches nothing and shows the chart
    opened = page.context.new_page()
    asked: list[str] = []
    opened.on("request", lambda request: asked.append(request.url))
    opened.goto((artifacts / "kept-view-drivers.html").as_uri(), wait_until="load")
    assert opened.locator("figure.chart svg").count() >= 1
    assert [u for u in asked if not u.startswith("file://")] == []
    opened.close()
