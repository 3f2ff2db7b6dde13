"""A support agent's day in Debian's chromium against a real server on the seeded demo: sam (support) signs
in and sees only support's cases, finds a customer's case by search, starts it and resolves it with a root
cause; sue changes a case while sam's page is open and sam's change is refused with a reload, losing
nothing; bulk assign and close; axe-core finds no serious or critical violation on the inbox and a case
page; neither scrolls sideways at 390 px; screenshots are kept in the artefacts folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.web.loop_site import DESKTOP, PHONE, SLOW, LoopSite, signed_in_as

AXE = Axe()
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def sam(chromium: Any, loop_site: LoopSite) -> Iterator[Any]:
    """sam's desktop tab, signed in."""
    tab = signed_in_as(chromium, loop_site, "sam")
    yield tab
    tab.context.close()


def _listed(tab: Any) -> list[str]:
    """The case ids the inbox lists now."""
    return list(
        tab.eval_on_selector_all("#cases-table a.case-link", "links => links.map(a => a.textContent)")
    )


def _open_case(site: LoopSite, team: str, skip: int = 0) -> str:
    """An open case of `team` nobody has touched in this module yet (the `skip`-th)."""
    return site.case_ids(team=team, status="open")[skip]


def _inbox(tab: Any, site: LoopSite, query: str) -> None:
    tab.goto(f"{site.base}/cases?{query}", wait_until="networkidle", timeout=SLOW)
    tab.wait_for_selector("#inbox-count")


def test_sam_sees_only_supports_cases_in_his_queues(sam: Any, loop_site: LoopSite) -> None:
    foreign = set(loop_site.case_ids()) - set(loop_site.case_ids(team="support"))
    assert foreign, "the demo has other teams' cases"
    sam.click("#queue-all")
    sam.wait_for_url("**/cases?queue=all**")
    sam.wait_for_selector("#queue-all[aria-current=page]")
    shown = _listed(sam)
    assert shown, "support has open cases in the demo"
    assert not set(shown) & foreign
    for queue in ("mine", "team", "overdue", "due_today", "unassigned"):
        _inbox(sam, loop_site, f"queue={queue}&status=any&per_page=500")
        assert not set(_listed(sam)) & foreign, queue


def test_a_filter_swaps_the_list_in_place_and_the_address_keeps_it(sam: Any, loop_site: LoopSite) -> None:
    _inbox(sam, loop_site, "queue=team&per_page=500")
    sam.evaluate("window.notReloaded = true")  # gone if the page were loaded again instead of swapped
    sam.focus("#inbox-rule")
    sam.select_option("#inbox-rule", "unresolved_interaction")
    sam.wait_for_url("**rule=unresolved_interaction**")
    sam.wait_for_function(
        "() => [...document.querySelectorAll('#cases-table a.case-link')]"
        ".every(a => a.textContent.startsWith('unresolved_interaction'))"
    )
    assert sam.evaluate("window.notReloaded === true")
    assert sam.evaluate("document.activeElement.id") == "inbox-rule"  # the keyboard stays where it was
    expected = {c for c in loop_site.case_ids(team="support") if c.startswith("unresolved_interaction")}
    assert set(_listed(sam)) <= expected
    shared = sam.url
    sam.goto(shared, wait_until="networkidle", timeout=SLOW)  # the link opens the same list
    assert sam.eval_on_selector("#inbox-rule", "s => s.value") == "unresolved_interaction"


def test_sam_finds_a_customer_starts_and_resolves_the_case(sam: Any, loop_site: LoopSite) -> None:
    case_id = _open_case(loop_site, "support")
    customer = loop_site.case(case_id)["customer_id"]
    _inbox(sam, loop_site, "queue=team")
    sam.fill("#inbox-search", customer)
    sam.press("#inbox-search", "Enter")
    sam.wait_for_url(f"**search={customer}**")
    sam.wait_for_selector(f"#row-{case_id}")
    customers = sam.eval_on_selector_all("#cases-table td.customer", "cells => cells.map(c => c.textContent)")
    assert set(customers) == {customer}
    sam.click(f"#row-{case_id} a.case-link")
    sam.wait_for_selector("#do-start")
    sam.click("#do-start")
    sam.wait_for_function("() => document.getElementById('case-status').textContent.includes('started')")
    sam.wait_for_function("() => document.activeElement.id === 'case-status'")  # focus follows what happened
    assert loop_site.case(case_id)["status"] == "in_progress"
    sam.select_option("#resolve-cause", "training")
    sam.fill("#resolve-note", "Walked the customer through the app.")
    sam.click("#do-resolve")
    sam.wait_for_function("() => document.getElementById('case-status').textContent.includes('resolved')")
    stored = loop_site.case(case_id)
    assert (stored["status"], stored["root_cause"]) == ("resolved", "training")
    assert "sam resolved it: root cause training" in sam.inner_text("#history")


def test_a_conflicting_edit_from_a_second_browser_is_refused_with_a_reload(
    chromium: Any, sam: Any, loop_site: LoopSite
) -> None:
    case_id = _open_case(loop_site, "support", skip=1)
    sam.goto(f"{loop_site.base}/cases/{case_id}", wait_until="networkidle", timeout=SLOW)
    sue = signed_in_as(chromium, loop_site, "sue")
    try:
        sue.goto(f"{loop_site.base}/cases/{case_id}", wait_until="networkidle", timeout=SLOW)
        sue.fill("#note-text", "Customer rang again; promised a call back today.")
        sue.click("#do-note")
        sue.wait_for_function("() => document.getElementById('case-status').textContent.includes('note')")
    finally:
        sue.context.close()
    sam.click("#do-start")  # sam's page still holds the version before sue's note
    sam.wait_for_selector("#case-conflict")
    said = sam.inner_text("#case-conflict")
    assert "Someone else changed this case since you opened it" in said
    assert "sue added a note" in said
    assert loop_site.case(case_id)["status"] == "open"  # sam's start was not made over sue's change
    sam.click("#reload-case")
    sam.wait_for_selector("#do-start")
    assert "promised a call back" in sam.inner_text("#history")
    sam.click("#do-start")
    sam.wait_for_function("() => document.getElementById('case-status').textContent.includes('started')")
    assert loop_site.case(case_id)["status"] == "in_progress"


def test_bulk_assign_and_bulk_close(sam: Any, loop_site: LoopSite) -> None:
    picked = loop_site.case_ids(team="support", status="open")[2:4]
    _inbox(sam, loop_site, "queue=team&sort=created_at&per_page=500")
    for case_id in picked:
        sam.check(f"#tick-{case_id}")
    sam.select_option("#bulk-owner", "sue")
    sam.click("#bulk-assign")
    sam.wait_for_function("() => document.getElementById('inbox-message').textContent.includes('assigned')")
    assert "2 cases assigned to sue." in sam.inner_text("#inbox-message")
    assert [loop_site.case(c)["owner"] for c in picked] == ["sue", "sue"]
    resolved = loop_site.case_ids(team="support", status="resolved")
    assert resolved, "sam resolved a case above, and the demo's seeding resolves others"
    _inbox(sam, loop_site, "queue=team&status=resolved&per_page=500")
    sam.check("#tick-all")
    sam.click("#bulk-close")
    sam.wait_for_function("() => document.getElementById('inbox-message').textContent.includes('closed')")
    assert f"{len(resolved)} case{'s' if len(resolved) != 1 else ''} closed." in sam.inner_text(
        "#inbox-message"
    )
    assert {loop_site.case(c)["status"] for c in resolved} == {"closed"}


def _violations(tab: Any, name: str, artifacts: Path) -> list[str]:
    found = AXE.run(tab).response["violations"]
    kept = [
        {"rule": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]} for v in found
    ]
    (artifacts / f"axe-{name}.json").write_text(json.dumps(kept, indent=1))
    return [
        f"{v['id']} ({v['impact']}): {n['target']}"
        for v in found
        if v["impact"] in BLOCKING
        for n in v["nodes"]
    ]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_inbox_and_a_case_page_are_accessible_and_fit_a_phone(
    chromium: Any, loop_site: LoopSite, width: str, artifacts: Path
) -> None:
    tab = signed_in_as(chromium, loop_site, "sam", PHONE if width == "phone" else DESKTOP)
    try:
        case_id = loop_site.case_ids(team="support")[-1]
        for name, path in (("cases", "/cases?queue=team"), ("case", f"/cases/{case_id}")):
            tab.goto(loop_site.base + path, wait_until="networkidle", timeout=SLOW)
            tab.wait_for_selector("main h2")
            found = _violations(tab, f"loop-{name}-{width}", artifacts)
            assert found == [], f"{path} at {width}:\n" + "\n".join(found)
            tab.screenshot(path=str(artifacts / f"screen-loop-{name}-{width}.png"), full_page=True)
            wide = tab.evaluate("document.documentElement.scrollWidth")
            assert wide <= tab.viewport_size["width"], f"{path} is {wide} px wide at {width}"
    finally:
        tab.context.close()
