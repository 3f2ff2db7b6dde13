"""The survey editor in Debian's chromium against a real server: an analyst creates an NPS survey from the
template, rewords a question, adds a choice question with two options, previews it, publishes it, and finds
version 2 in the versions list while version 1's wording is still readable; the list, the editor and a
version's page pass axe-core."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from cxgap.surveys import catalog
from tests.api.browser_pages import DESKTOP, SLOW
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import PASSWORD, signed_up

AXE = Axe()
BLOCKING = ("serious", "critical")
REWORDED = "Would you recommend us to a friend?"


@dataclass(frozen=True)
class Site:
    """A running server on an empty store with an analyst (ana) and a viewer (vic)."""

    base: str
    store: Store


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"duckdb:///{tmp_path_factory.mktemp('survey-editor') / 'cxgap.duckdb'}"
    with Store(url) as store:
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    try:
        with serving(app) as base:
            yield Site(base, app.state.store)
    finally:
        app.state.store.close()


@pytest.fixture(scope="module")
def tab(chromium: Any, site: Site) -> Iterator[Any]:
    """A desktop tab signed in through the form as the analyst, on the survey list."""
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(site.base + "/sign-in?next=%2Fsurveys")
    page.fill("#username", "ana")
    page.fill("#password", PASSWORD)
    page.click("#sign-in button")
    page.wait_for_url(site.base + "/surveys")
    yield page
    context.close()


def blocking_violations(tab: Any, name: str, artifacts: Path) -> list[str]:
    """axe-core's serious and critical violations on the tab's page (every one is kept in the artefacts)."""
    found = AXE.run(tab).response["violations"]
    (artifacts / f"axe-{name}.json").write_text(json.dumps(found, indent=1, default=str))
    return [
        f"{v['id']} ({v['impact']}): {n['target']}"
        for v in found
        if v["impact"] in BLOCKING
        for n in v["nodes"]
    ]


def test_an_analyst_builds_previews_and_publishes_a_survey(tab: Any, site: Site, artifacts: Path) -> None:
    assert blocking_violations(tab, "survey-list", artifacts) == []
    tab.select_option("#new-template", "nps")
    tab.click("#create-survey")
    tab.wait_for_url(site.base + "/surveys/nps?done=created")
    original = tab.input_value("#q0-text-en")
    assert original.startswith("How likely")
    assert blocking_violations(tab, "survey-editor", artifacts) == []

    tab.fill("#q0-text-en", REWORDED)
    tab.select_option("#new-type", "choice")
    tab.click("#add-question")
    tab.wait_for_selector("#unsaved")
    last = int(tab.get_attribute("input[name=questions]", "value")) - 1
    assert tab.input_value("#q0-text-en") == REWORDED  # the draft keeps what was typed
    tab.fill(f"#q{last}-text-en", "What did you like most?")
    tab.fill(f"#q{last}-options-en", "speed = The speed\nstaff = The staff")
    tab.click("#save-survey")
    tab.wait_for_url(site.base + "/surveys/nps?done=saved")
    assert tab.inner_text("#latest-version") == "2"

    tab.click("#preview-en")
    tab.wait_for_selector("text=What did you like most?")
    shown = tab.inner_text("body")
    assert REWORDED in shown and "The staff" in shown and "Preview" in shown
    tab.go_back()

    tab.click("#do-publish")
    tab.wait_for_url(site.base + "/surveys/nps?done=published")
    assert tab.inner_text("#survey-state") == "published"
    assert tab.inner_text("#asked-version") == "version 2"
    assert tab.is_visible("#read-version-2") and tab.is_visible("#read-version-1")
    tab.click("#read-version-1")
    tab.wait_for_selector("#survey-view")
    asked = tab.inner_text("#questions-read")
    assert original in asked and REWORDED not in asked and "What did you like most?" not in asked
    assert blocking_violations(tab, "survey-version", artifacts) == []
    assert catalog.get_survey(site.store, "nps").published_version == 2
