"""Phones and keyboards, in Debian's chromium against a real server: every page fits a 390 px phone without
sideways scrolling and with readable text; a filter change marks the old numbers as the previous selection's
at once, waits until the person stops arrowing through a list, refuses an inverted period in the form, and
swaps an error answer into the page instead of leaving the old numbers; a skip link leads to the content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api.browser_pages import DESKTOP, EVERY_PAGE, PHONE, SLOW, Site, open_page, settled, signed_in

DEBOUNCE_MS = 600  # the filter form's hx-trigger delay (base.html.j2)


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


@pytest.fixture(scope="module")
def phone(chromium: Any, site: Site) -> Iterator[Any]:
    """One signed-in tab the size of a phone (390 x 844 CSS pixels), for every page in turn."""
    tab = signed_in(chromium, site, PHONE)
    yield tab
    tab.close()


@pytest.fixture
def tab(chromium: Any, site: Site) -> Iterator[Any]:
    """A fresh signed-in desktop tab that records every page request it sends."""
    fresh = signed_in(chromium, site, DESKTOP)
    fresh.sent = []
    fresh.on("request", lambda request: fresh.sent.append((request.url, request.headers.get("hx-trigger"))))
    yield fresh
    fresh.close()


def _filter_requests(tab: Any, site: Site, path: str = "/") -> list[dict[str, list[str]]]:
    """The queries of the requests the filter form sent for `path` (htmx names the form that sent one in
    HX-Trigger; a page that fills itself in asks again from its loading section, which is not counted)."""
    sent = [urlsplit(url) for url, trigger in tab.sent if url.startswith(site.base) and trigger == "filters"]
    return [parse_qs(u.query) for u in sent if u.path == path]


@pytest.mark.parametrize("path", EVERY_PAGE)
def test_every_page_fits_a_phone_without_sideways_scrolling(phone: Any, site: Site, path: str) -> None:
    path = path.format(customer=site.customer_id)
    if site.missing(path):
        pytest.skip(f"{path} is not served yet (404)")
    open_page(phone, site, path)
    assert phone.eval_on_selector("meta[name=viewport]", "m => m.content").startswith("width=device-width")
    width = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wide = phone.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
             .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
             .filter(e => !e.closest('.table-scroll, pre, .skip'))
             .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""
    )
    assert width[0] <= width[1], f"{path}: {width[0]} px wide on a {width[1]} px phone; too wide: {wide}"
    small = phone.evaluate(
        """() => Array.from(document.querySelectorAll('main p, main li, main td, main th, main label, main dd'))
             .filter(e => e.innerText.trim() && !e.closest('svg'))
             .filter(e => parseFloat(getComputedStyle(e).fontSize) < 14)
             .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + getComputedStyle(e).fontSize)"""
    )
    assert small == [], f"{path}: text under 14 px on a phone: {small}"


def test_the_sign_in_page_fits_a_phone(chromium: Any, site: Site) -> None:
    anonymous = chromium.new_page(viewport=PHONE)
    anonymous.goto(site.base + "/sign-in", wait_until="networkidle", timeout=SLOW)
    assert anonymous.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert anonymous.eval_on_selector("#username", "e => parseFloat(getComputedStyle(e).fontSize)") >= 14
    anonymous.close()


def test_a_filter_change_marks_the_old_numbers_at_once_until_the_new_ones_arrive(
    tab: Any, site: Site
) -> None:
    open_page(tab, site, "/")
    before = tab.inner_text("#score-nps .value")
    tab.evaluate(
        """() => {
             const seen = window.seen = {};
             const state = () => ({busy: document.getElementById('content').getAttribute('aria-busy'),
                                   note: document.getElementById('updating').textContent,
                                   opacity: getComputedStyle(document.getElementById('content')).opacity});
             document.addEventListener('change', () => { seen.onChange = state(); });
             document.addEventListener('htmx:beforeSend', (event) => {
               if (event.detail.elt.id === 'filters' && !seen.onSend) seen.onSend = state();
             });
           }"""
    )
    tab.select_option("#filter-segment", "small_business")
    tab.wait_for_url("**segment=small_business**")
    tab.wait_for_selector("#slice")
    settled(tab)
    seen = tab.evaluate("() => window.seen")
    for moment in ("onChange", "onSend"):  # at the change itself, and while the request is on its way
        assert seen[moment]["busy"] == "true", seen
        assert "previous selection" in seen[moment]["note"], seen
        assert float(seen[moment]["opacity"]) < 1, seen
    assert tab.get_attribute("#content", "aria-busy") is None  # the new page is not marked
    assert tab.inner_text("#updating") == ""
    assert tab.inner_text("#score-nps .value") != before


def test_arrowing_through_a_dropdown_sends_one_request_for_where_it_stops(tab: Any, site: Site) -> None:
    open_page(tab, site, "/")
    options = tab.eval_on_selector_all("#filter-segment option", "os => os.map(o => o.value)")
    assert len(options) >= 4, options
    tab.evaluate(
        "() => { window.changes = []; document.addEventListener('change', () => "
        "window.changes.push(performance.now())); }"
    )
    tab.focus("#filter-segment")
    for _ in range(3):
        tab.keyboard.press("ArrowDown")
    tab.wait_for_url(f"**segment={options[3]}**")
    tab.wait_for_selector("#slice")
    settled(tab)
    changes = tab.evaluate("() => window.changes")
    assert len(changes) == 3  # each arrow press picked the next segment
    # a request goes only after the list has been still for the delay: one here unless the presses
    # themselves were slower than the delay (a loaded machine), which the count allows for
    pauses = sum(1 for a, b in zip(changes, changes[1:], strict=False) if b - a >= DEBOUNCE_MS)
    segments = [q["segment"] for q in _filter_requests(tab, site) if "segment" in q]
    assert len(segments) == 1 + pauses, (segments, changes)
    assert segments[-1] == [options[3]]
    assert tab.eval_on_selector("#filter-segment", "e => e.value") == options[3]


def test_an_inverted_period_is_refused_in_the_form_without_a_request(tab: Any, site: Site) -> None:
    months = _months(tab, site)
    first, last = months[0], months[-1]
    open_page(tab, site, f"/?since={last}")
    tab.select_option("#filter-until", first)
    tab.wait_for_function("() => document.getElementById('filters').dataset.refused === '1'")
    problem = tab.inner_text("#filter-problem")
    assert f"starts ({last}) after it ends ({first})" in problem
    assert tab.get_attribute("#filter-until", "aria-invalid") == "true"
    assert tab.get_attribute("#filter-until", "aria-describedby") == "filter-problem"
    assert _filter_requests(tab, site) == []  # nothing was sent
    assert tab.get_attribute("#content", "aria-busy") is None  # the shown numbers are still this page's
    tab.select_option("#filter-until", last)  # a period again: the form sends it
    tab.wait_for_url(f"**until={last}**")
    tab.wait_for_selector("#slice")
    settled(tab)
    assert tab.inner_text("#filter-problem") == ""
    assert tab.get_attribute("#filter-until", "aria-invalid") is None


def _months(tab: Any, site: Site) -> list[str]:
    """The months the filter form offers (read from the overview a person sees)."""
    open_page(tab, site, "/")
    months: list[str] = tab.eval_on_selector_all("#filter-since option", "os => os.map(o => o.value)")
    return [m for m in months if m]


def test_an_error_answer_replaces_the_old_numbers_with_its_sentence(tab: Any, site: Site) -> None:
    open_page(tab, site, "/")
    assert tab.query_selector("#score-nps")
    # a list that no longer matches the server (a tab left open across an import): a month it refuses
    tab.eval_on_selector("#filter-since", "s => s.add(new Option('2024-13', '2024-13'))")
    tab.select_option("#filter-since", "2024-13")
    tab.wait_for_selector("#error")
    direct = httpx.get(site.base + "/?since=2024-13", cookies=_cookies(tab), timeout=60)
    assert direct.status_code >= 400
    assert "2024-13" in tab.inner_text("#error") and "is not a month" in tab.inner_text("#error")
    assert tab.query_selector("#score-nps") is None  # the old numbers are gone
    assert tab.get_attribute("#content", "aria-busy") is None
    assert "since=2024-13" in tab.url  # the address says what is shown


def _cookies(tab: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in tab.context.cookies()}


def test_a_skip_link_leads_keyboard_users_to_the_content_with_focus_shown(tab: Any, site: Site) -> None:
    open_page(tab, site, "/gaps")
    tab.keyboard.press("Tab")
    focused = tab.evaluate(
        """() => { const e = document.activeElement, box = e.getBoundingClientRect();
                   return {cls: e.className, text: e.textContent, left: box.left, top: box.top,
                           outline: getComputedStyle(e).outlineStyle}; }"""
    )
    assert focused["cls"] == "skip" and focused["text"] == "Skip to main content", focused
    assert focused["left"] >= 0 and focused["top"] >= 0  # shown on screen while focused
    assert focused["outline"] != "none"
    tab.keyboard.press("Enter")
    assert tab.evaluate("() => document.activeElement.id") == "content"
    tab.keyboard.press("Tab")
    inside = tab.evaluate("() => !!document.activeElement.closest('main')")
    assert inside  # the next Tab continues inside the content, past the navigation and filters


def test_the_filters_are_reached_and_changed_by_keyboard_alone(tab: Any, site: Site, artifacts: Path) -> None:
    open_page(tab, site, "/operations")
    for _ in range(40):
        tab.keyboard.press("Tab")
        if tab.evaluate("() => document.activeElement.id") == "filter-touchpoint":
            break
    else:
        pytest.fail("Tab never reached the touchpoint filter")
    assert tab.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    tab.keyboard.press("ArrowDown")
    tab.wait_for_url("**touchpoint=**")
    tab.wait_for_selector("#slice")
    settled(tab)
    assert tab.evaluate("() => document.activeElement.id") == "filter-touchpoint"  # still where they were
    tab.screenshot(path=str(artifacts / "ux-keyboard-filter.png"))
