"""The team lead's view and the notification preferences in Debian's chromium against a real server on the
seeded demo: a support lead sees her team's accountability (the same figures as the service) and never
another team's people; both pages pass axe-core and fit a 390 px phone without sideways scrolling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from cxgap import cases
from cxgap.cases.clock import loop_now
from cxgap.demo.loop import DEMO_STAFF
from cxgap.engine import Engine
from cxgap.web.loop.team import hours, share
from tests.web.loop_site import DESKTOP, PHONE, SLOW, LoopSite, signed_in_as

AXE = Axe()
BLOCKING = ("serious", "critical")


def blocking_violations(tab: Any, name: str, artifacts: Path) -> list[str]:
    """Run axe-core on the tab's page, keep every violation in the artefacts, return the serious and
    critical ones as 'rule (impact): node' lines."""
    found = AXE.run(tab).response["violations"]
    (artifacts / f"axe-{name}.json").write_text(json.dumps(found, indent=1, default=str))
    return [
        f"{v['id']} ({v['impact']}): {node['target']}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def fits_a_phone(tab: Any) -> bool:
    """Whether the page is no wider than the phone's screen (no sideways scrolling)."""
    width: int = tab.evaluate("() => document.documentElement.scrollWidth")
    return width <= PHONE["width"]


def open_loop_page(tab: Any, site: LoopSite, path: str) -> None:
    tab.goto(site.base + path, wait_until="networkidle", timeout=SLOW)
    tab.wait_for_selector("main h2")


def test_a_support_lead_sees_her_team_accountability_and_no_other_team(
    chromium: Any, loop_site: LoopSite, artifacts: Path
) -> None:
    tab = signed_in_as(chromium, loop_site, "lea")
    open_loop_page(tab, loop_site, "/team")
    assert tab.inner_text("main h2") == "Team support"
    shown = {
        el.get_attribute("id").removeprefix("metric-"): el.inner_text()
        for el in tab.query_selector_all("#team-metrics dd")
    }
    now = loop_now(loop_site.store, loop_site.settings)
    a = loop_site.settings.analysis
    report = cases.accountability(
        Engine(loop_site.store), "team", team="support", now=now, min_n=a.min_n, confidence=a.confidence
    )
    (support,) = report.groups
    assert shown == {
        "cases": f"{support.cases:,}",
        "acted": share(support.acted_on),
        "unresolved": share(support.unresolved),
        "overdue": f"{support.overdue:,}",
        "reopened": share(support.reopened),
        "first": hours(support.hours_to_first_action),
        "resolve": hours(support.hours_to_resolve),
    }
    owners = [cell.inner_text() for cell in tab.query_selector_all("#team-holders tbody th")]
    others = {name for name, (_, team) in DEMO_STAFF.items() if team != "support"}
    assert owners and not set(owners) & others
    assert tab.query_selector("#team-choice") is None  # a lead picks no other team
    tab.screenshot(path=str(artifacts / "team-lea.png"), full_page=True)
    found = blocking_violations(tab, "team", artifacts)
    assert found == [], "\n".join(found)
    answer = tab.goto(loop_site.base + "/team?team=field_service", wait_until="networkidle")
    assert answer is not None and answer.status == 403
    assert "only your own team's figures" in tab.inner_text("#error")
    tab.context.close()


def test_the_team_page_and_preferences_fit_a_phone(
    chromium: Any, loop_site: LoopSite, artifacts: Path
) -> None:
    phone = signed_in_as(chromium, loop_site, "lea", PHONE)
    for path, name in (("/team", "team-phone"), ("/notifications", "notifications-phone")):
        open_loop_page(phone, loop_site, path)
        phone.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        assert fits_a_phone(phone), f"{path} scrolls sideways at {PHONE['width']} px"
        found = blocking_violations(phone, name, artifacts)
        assert found == [], f"{path}:\n" + "\n".join(found)
    phone.context.close()


def test_a_person_sets_their_notifications_with_the_keyboard(
    chromium: Any, loop_site: LoopSite, artifacts: Path
) -> None:
    tab = signed_in_as(chromium, loop_site, "sam", DESKTOP)
    tab.click("#notifications-link")
    tab.wait_for_url(loop_site.base + "/notifications")
    tab.check('input[name="case_overdue"][value="digest"]')
    tab.focus("#prefs-save")
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#prefs-saved")
    assert tab.is_checked('input[name="case_overdue"][value="digest"]')
    found = blocking_violations(tab, "notifications", artifacts)
    assert found == [], "\n".join(found)
    tab.context.close()
