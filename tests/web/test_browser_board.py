"""The systemic-issue board in Debian's chromium against a real server on the seeded demo: an analyst
raises an issue from a recurring root cause, plans its action at a past date and sees its effect on the gap
as a chart with its sentence and data table; the board and the issue pass axe-core and fit a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxgap import cases
from cxgap.engine import Engine
from tests.web.loop_site import PHONE, LoopSite, signed_in_as
from tests.web.test_browser_team import blocking_violations, fits_a_phone, open_loop_page


def test_an_analyst_raises_an_issue_from_a_pattern_and_sees_its_effect(
    chromium: Any, loop_site: LoopSite, artifacts: Path
) -> None:
    tab = signed_in_as(chromium, loop_site, "ana")
    open_loop_page(tab, loop_site, "/issues")
    found = blocking_violations(tab, "issues", artifacts)
    assert found == [], "\n".join(found)
    pattern = tab.locator(".loop-card.pattern").first
    pattern.locator("summary").click()
    pattern.locator('input[name="owner"]').fill("lea")
    pattern.locator('input[name="team"]').fill("support")
    pattern.locator('textarea[name="action"]').fill("Call back within the hour")
    pattern.locator('button[type="submit"]').click()
    tab.wait_for_url("**/issues/SI-*")
    issue_id = tab.url.rsplit("/", 1)[1]
    assert tab.inner_text("#issue-title").strip() and tab.query_selector("#no-effect") is not None
    tab.fill("#plan-action", "Call back within the hour")
    tab.fill("#plan-date", "2025-07-01")  # a past date: months of data on both sides
    if tab.inner_text("#issue-gap") == "none named yet":  # no gap was suggested: name one
        assert tab.locator("#plan-gap option").count() > 1
        tab.select_option("#plan-gap", index=1)
    tab.click("#plan-submit")
    tab.wait_for_selector("#chart-issue-effect")
    issue = cases.get_issue(loop_site.store, issue_id)
    assert issue.status == "acting" and issue.gap_kind is not None
    effect = cases.issue_effect(Engine(loop_site.store), loop_site.settings, issue)
    assert tab.inner_text("#chart-issue-effect figcaption") == effect.sentence()
    if effect.before is not None or effect.after is not None:  # something measured: drawn, with its table
        assert tab.locator("#chart-issue-effect svg[role=img]").count() == 1
        assert tab.locator("#chart-issue-effect table tbody tr").count() >= 1
    tab.screenshot(path=str(artifacts / "issue-effect.png"), full_page=True)
    found = blocking_violations(tab, "issue", artifacts)
    assert found == [], "\n".join(found)
    history = tab.inner_text("#issue-history")
    assert "ana raised" in history and "ana planned" in history
    tab.context.close()

    phone = signed_in_as(chromium, loop_site, "ana", PHONE)
    for path, name in (("/issues", "issues-phone"), (f"/issues/{issue_id}", "issue-phone")):
        open_loop_page(phone, loop_site, path)
        phone.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        assert fits_a_phone(phone), f"{path} scrolls sideways at {PHONE['width']} px"
        found = blocking_violations(phone, name, artifacts)
        assert found == [], f"{path}:\n" + "\n".join(found)
    phone.context.close()
