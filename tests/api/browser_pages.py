"""What the phone, keyboard, accessibility and screenshot browser tests share: a real server on a
3,000-customer demo store, a tab signed in through the form, and every page of the dashboard."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import PASSWORD, signed_up

DASHBOARD = (
    "/",
    "/gaps",
    "/perception",
    "/operations",
    "/drivers",
    "/text",
    "/journeys",
    "/risk",
    "/glossary",
)
# every page a person reaches: the dashboard, the records behind a number and a customer (`{customer}` is
# filled with the site's customer_id)
EVERY_PAGE = (*DASHBOARD, "/records/responses", "/customers/{customer}")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SLOW = 300_000  # ms: a cold page on a loaded two-core machine; a wait for a condition, never a sleep


@dataclass(frozen=True)
class Site:
    """A running server: its base URL and a customer of its demo who answered surveys."""

    base: str
    customer_id: str
    tokens: dict[str, str]  # API tokens of the analyst (ana) and the viewer (vic)

    def missing(self, path: str) -> bool:
        """Whether the server has no such page yet (404), so a test of it says so instead of failing."""
        return httpx.get(self.base + path, follow_redirects=False, timeout=60).status_code == 404


@contextlib.contextmanager
def demo_site(folder: Path) -> Iterator[Site]:
    """`cxgap serve`'s app under Uvicorn on 127.0.0.1, on a 3,000-customer demo store with an analyst
    (ana) and a viewer (vic)."""
    url = f"duckdb:///{folder / 'demo.duckdb'}"
    data = simulate(3_000, seed=42)
    with Store(url) as store:
        write_demo(store, data)
        tokens = signed_up(store)
    customer = str(data.tables["responses"]["customer_id"][0].as_py())
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    try:
        with serving(app) as base:
            yield Site(base, customer, tokens)
    finally:
        app.state.store.close()


def signed_in(chromium: Any, site: Site, viewport: dict[str, int], name: str = "ana") -> Any:
    """A fresh tab of the given size, signed in through the form as a person does."""
    tab = chromium.new_page(viewport=viewport)
    tab.set_default_timeout(SLOW)
    tab.goto(site.base + "/sign-in", wait_until="networkidle")
    tab.fill("#username", name)
    tab.fill("#password", PASSWORD)
    tab.click("#sign-in button")
    tab.wait_for_url(site.base + "/")
    return tab


def open_page(tab: Any, site: Site, path: str) -> None:
    """Open a page and wait until its results are shown."""
    tab.goto(site.base + path, wait_until="networkidle", timeout=SLOW)
    settled(tab)


def settled(tab: Any) -> None:
    """Wait until the page shows its results: a slow page first answers that it is computing (#loading)
    and fills itself in when they are ready."""
    tab.wait_for_function("() => !document.getElementById('loading')", timeout=SLOW)
