"""Empty and thin selections on every page, in a real browser: an empty slice says so inside the page with its
filters (never a 500, never the last numbers), a thin one shows "insufficient data" and never a NaN (a
refused filter swapped in by htmx is in test_browser_ux.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.browser_pages import DASHBOARD, DESKTOP, Site, settled, signed_in

PAGES = tuple(p for p in DASHBOARD if p != "/glossary")  # the glossary has no data and no filters
EMPTY = "since=2030-01"  # the demo's data ends in 2025-12
THIN = "segment=enterprise&since=2025-10"  # 19 relational answers: below n = 30


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


@pytest.fixture
def tab(chromium: Any, site: Site) -> Iterator[Any]:
    page = signed_in(chromium, site, DESKTOP)
    yield page
    page.close()


def _main_text(tab: Any) -> str:
    return str(tab.inner_text("main"))


@pytest.mark.parametrize("path", PAGES)
def test_an_empty_slice_says_so_with_its_filters_on_every_page(tab: Any, site: Site, path: str) -> None:
    answer = tab.goto(f"{site.base}{path}?{EMPTY}", wait_until="networkidle")
    settled(tab)
    assert answer is not None and answer.status == 200
    assert tab.locator("#no-data").inner_text().startswith("No data for this selection: 2030-01 to now")
    assert tab.locator("#filters").count() == 1
    assert tab.locator("main .chart svg").count() == 0  # no chart of some other slice's numbers


@pytest.mark.parametrize("path", PAGES)
def test_a_thin_slice_shows_insufficient_data_and_never_nan(tab: Any, site: Site, path: str) -> None:
    answer = tab.goto(f"{site.base}{path}?{THIN}", wait_until="networkidle")
    settled(tab)
    assert answer is not None and answer.status == 200
    text = _main_text(tab)
    assert "nan" not in text.split() and "[nan" not in text and "nan [" not in text
    if path == "/":
        for score in ("nps", "csat", "ces"):
            assert "insufficient data, n=" in tab.inner_text(f"#score-{score}")
    if path == "/drivers":
        assert "insufficient data: 19 rows with an outcome (at least 30 needed)" in text
