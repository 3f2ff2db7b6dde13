"""Where to act first in a real browser (Debian's chromium against a real server): an analyst raises an
issue from an overview item with an owner and an action, htmx swaps the item's form for the issue, and
after a reload the item still shows the issue as open instead of the form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxgap.api import create_app
from cxgap.config import CompanySettings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import PASSWORD, signed_up


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`cxgap serve`'s app under Uvicorn on a free port, on a demo store that counts in US dollars."""
    url = f"duckdb:///{tmp_path_factory.mktemp('act-browser') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        signed_up(store)
    app = create_app(
        demo_settings(store=StoreSettings(url=url), server=ON_DEMAND, company=CompanySettings(currency="USD"))
    )
    with serving(app) as base:
        yield base
    app.state.store.close()


@pytest.fixture
def page(chromium: Any, server: str) -> Iterator[Any]:
    """A fresh tab, signed in through the form as an analyst."""
    tab = chromium.new_page(viewport={"width": 1200, "height": 1400})
    tab.goto(server + "/sign-in", wait_until="networkidle", timeout=120_000)
    tab.fill("#username", "ana")
    tab.fill("#password", PASSWORD)
    tab.click("#sign-in button")
    tab.wait_for_url(server + "/", timeout=120_000)
    yield tab
    tab.close()


def test_raise_an_issue_from_the_overview_and_see_it_open_on_reload(
    server: str, page: Any, artifacts: Path
) -> None:
    page.goto(server + "/", wait_until="networkidle", timeout=120_000)
    first = page.locator("#act-first > li").first
    assert first.locator(".money").inner_text().startswith("USD ")
    block = first.locator(".act-issue")
    block_id = block.get_attribute("id")
    first.locator("summary", has_text="Raise an issue").click()
    first.locator("select[name=root_cause]").select_option("staffing")
    first.locator("input[name=owner]").fill("Sam Support")
    first.locator("input[name=team]").fill("support")
    first.locator("textarea[name=action]").fill("Add two agents at the Monday peak")
    first.locator("button", has_text="Raise the issue").click()
    opened = page.locator(f"#{block_id} .issue-open")
    opened.wait_for(timeout=60_000)  # htmx swapped the form for the issue
    text = opened.inner_text()
    assert " is open" in text and "Sam Support" in text and "Add two agents at the Monday peak" in text
    page.reload(wait_until="networkidle", timeout=120_000)
    again = page.locator(f"#{block_id}")
    assert again.locator(".issue-open").inner_text() == text
    assert again.locator("form.raise-issue").count() == 0
    page.screenshot(path=str(artifacts / "act-first-issue-raised.png"), full_page=True)
    issue_id = text.split(" ", 1)[0]
    response = page.request.get(f"{server}/api/issues/{issue_id}")
    assert response.ok and response.json()["owner"] == "Sam Support"
    assert response.json()["root_cause"] == "staffing" and response.json()["status"] == "open"


def test_the_glossary_is_one_click_from_a_gap_kind(server: str, page: Any) -> None:
    page.goto(server + "/", wait_until="networkidle", timeout=120_000)
    kind = page.locator("#six-gaps a.gap-kind", has_text="design")
    kind.click()
    page.wait_for_url("**/glossary#gap-design", timeout=60_000)
    assert "standard" in page.inner_text("#gap-design + dd")
