"""Accessibility, checked by axe-core (the axe.min.js that axe-playwright-python ships, injected into the
page by the test) in Debian's chromium against a real server: no serious or critical violation on any page,
including the sign-in page, an error page, a page swapped in by a filter change and a phone-sized page.
Every violation found (of any impact) is kept in the artefacts folder to read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.api.browser_pages import DESKTOP, EVERY_PAGE, PHONE, SLOW, Site, open_page, settled, signed_in

BLOCKING = ("serious", "critical")
AXE = Axe()


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


@pytest.fixture(scope="module")
def tab(chromium: Any, site: Site) -> Iterator[Any]:
    """One signed-in desktop tab for every page in turn."""
    signed = signed_in(chromium, site, DESKTOP)
    yield signed
    signed.close()


def _violations(tab: Any, name: str, artifacts: Path) -> list[str]:
    """Run axe-core on the tab's page; keep every violation in the artefacts and return the serious and
    critical ones as 'rule (impact): node' lines."""
    found = AXE.run(tab).response["violations"]
    kept = [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in found
    ]
    (artifacts / f"axe-{name}.json").write_text(json.dumps(kept, indent=1))
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary'].splitlines()[-1].strip()}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "overview"


@pytest.mark.parametrize("path", EVERY_PAGE)
def test_no_serious_or_critical_violation_on_the_page(
    tab: Any, site: Site, path: str, artifacts: Path
) -> None:
    path = path.format(customer=site.customer_id)
    if site.missing(path):
        pytest.skip(f"{path} is not served yet (404)")
    open_page(tab, site, path)
    found = _violations(tab, _name(path if "customers" not in path else "/customer"), artifacts)
    assert found == [], f"{path}:\n" + "\n".join(found)


def test_the_sign_in_page_has_no_serious_violation(chromium: Any, site: Site, artifacts: Path) -> None:
    anonymous = chromium.new_page(viewport=DESKTOP)
    anonymous.goto(site.base + "/sign-in", wait_until="networkidle", timeout=SLOW)
    found = _violations(anonymous, "sign-in", artifacts)
    anonymous.close()
    assert found == [], "\n".join(found)


def test_an_error_page_has_no_serious_violation(tab: Any, site: Site, artifacts: Path) -> None:
    open_page(tab, site, "/?since=2024-13")
    assert "is not a month" in tab.inner_text("#error")
    found = _violations(tab, "error", artifacts)
    assert found == [], "\n".join(found)


def test_a_page_swapped_in_by_a_filter_has_no_serious_violation(
    tab: Any, site: Site, artifacts: Path
) -> None:
    open_page(tab, site, "/gaps")
    tab.select_option("#filter-channel", index=1)
    tab.wait_for_url("**channel=**")
    tab.wait_for_selector("#slice")
    settled(tab)
    found = _violations(tab, "gaps-filtered", artifacts)
    assert found == [], "\n".join(found)


def test_a_phone_sized_page_has_no_serious_violation(chromium: Any, site: Site, artifacts: Path) -> None:
    phone = signed_in(chromium, site, PHONE)
    open_page(phone, site, "/")
    found = _violations(phone, "overview-phone", artifacts)
    phone.close()
    assert found == [], "\n".join(found)
