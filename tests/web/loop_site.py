"""What the closed loop's browser tests share: a real server on a 3,000-customer demo store whose loop is
seeded (`cxgap.demo.loop.seed_loop`: its own calendar, its people and the cases its rules open), with
passwords for the demo's support and field-service people, an analyst (ana) and a viewer (vic), and a tab
signed in through the form as any of them."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cxgap.access import set_password
from cxgap.api import create_app
from cxgap.config import Settings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.demo.loop import DEMO_STAFF, seed_loop
from cxgap.store import Store
from tests.api.browser_pages import DESKTOP, PHONE, SLOW
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import PASSWORD, signed_up

SIGNING_IN = ("sam", "sue", "lea", "flo", "fay")  # the demo's people given the test password
__all__ = ["DESKTOP", "PHONE", "SLOW", "LoopSite", "loop_site_at", "signed_in_as", "team_of"]


@dataclass(frozen=True)
class LoopSite:
    """A running server on a seeded demo: its base URL, its settings, where its store lives (a test may
    open a second connection to look at what was written), the loop's clock when seeded, the cases opened
    and the API tokens of the analyst (ana) and the viewer (vic)."""

    base: str
    url: str
    settings: Settings
    data_end: dt.datetime
    cases_opened: int
    tokens: dict[str, str]
    store: Store

    def case_ids(self, team: str | None = None, status: str | None = None) -> list[str]:
        """The store's case ids (of a team, in a status), oldest first: what a test expects a page to
        show or leave out, read from the store itself rather than from a page."""
        where, params = ["1 = 1"], {}
        for name, value in (("team", team), ("status", status)):
            if value is not None:
                where.append(f"{name} = :{name}")
                params[name] = value
        sql = f"SELECT case_id FROM cases WHERE {' AND '.join(where)} ORDER BY created_at, case_id"
        with self.store.engine.connect() as conn:
            return [str(row.case_id) for row in conn.execute(sa.text(sql), params)]

    def case(self, case_id: str) -> dict[str, Any]:
        """One case's row as stored now."""
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT * FROM cases WHERE case_id = :c"), {"c": case_id}).first()
        assert row is not None, f"no case {case_id}"
        return dict(row._mapping)


def team_of(name: str) -> str | None:
    """The team of one of the demo's people (None for ana and vic, who see every team)."""
    return DEMO_STAFF[name][1] if name in DEMO_STAFF else None


@contextlib.contextmanager
def loop_site_at(folder: Path) -> Iterator[LoopSite]:
    """`cxgap serve`'s app under Uvicorn on 127.0.0.1, on a 3,000-customer demo whose loop is seeded."""
    url = f"duckdb:///{folder / 'loop.duckdb'}"
    settings = demo_settings(store=StoreSettings(url=url), server=ON_DEMAND)
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        seeded = seed_loop(store, settings)
        for name in SIGNING_IN:
            set_password(store, name, PASSWORD)
        tokens = signed_up(store)
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield LoopSite(base, url, settings, seeded.data_end, seeded.cases_opened, tokens, app.state.store)
    finally:
        app.state.store.close()


def signed_in_as(chromium: Any, site: LoopSite, name: str, viewport: dict[str, int] = DESKTOP) -> Any:
    """A fresh tab of its own browser context (its own cookies: two people side by side), of the given
    size, signed in through the form as `name`, on the case inbox."""
    context = chromium.new_context(viewport=viewport)
    tab = context.new_page()
    tab.set_default_timeout(SLOW)
    tab.goto(site.base + "/sign-in?next=%2Fcases", wait_until="networkidle")
    tab.fill("#username", name)
    tab.fill("#password", PASSWORD)
    tab.click("#sign-in button")
    tab.wait_for_url(site.base + "/cases")
    return tab
