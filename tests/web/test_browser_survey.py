"""The hosted surveys' Done-when, in Debian's chromium against a real server on a 1,000-customer demo store
(one server for the module): a customer opens an invitation link on a phone, answers the SERVQUAL survey
with NPS 3 and a comment, and the answer is in the store, on the dashboard (NPS n one more) and, as a
detractor's, in the case inbox; a leader answers the belief survey a question at a time and the perception
headline counts them; a used and an expired link are refused; the NPS step is answered by keyboard alone;
axe-core finds nothing serious on the survey, thank-you and error pages at phone width; and the widget,
included by a page of another origin, asks its question and stores the answer."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from cxgap.access.sessions import utcnow
from cxgap.api import create_app
from cxgap.config import Settings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from cxgap.surveys.contacts import import_contacts
from cxgap.surveys.templates import template
from tests.api.browser_pages import PHONE, SLOW, Site, settled, signed_in
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import signed_up
from tests.web.survey_site import link, published, rows, steps, widget

AXE = Axe()
BLOCKING = ("serious", "critical")
LEADER = "L900"  # a leader on the staff contact list, who answers the belief survey


@dataclass(frozen=True)
class SurveySite:
    """The running server: its base URL, settings, store and dashboard, and a customer of its demo."""

    base: str
    settings: Settings
    store: Store
    dashboard: Any
    customer: str

    def open_fresh(self, tab: Any, path: str) -> None:
        """Open a dashboard page showing the store as it is now: a page served from the results before
        the last answer (marked updating) is opened again once their recomputation has finished."""
        answer = tab.goto(self.base + path, wait_until="networkidle")
        if answer.headers.get("x-cxgap-updating"):
            self.dashboard.cache.settle()
            tab.goto(self.base + path, wait_until="networkidle")
        settled(tab)

    def link(
        self, survey: str, recipient: str | None, at: dt.datetime | None = None, kind: str = "customer"
    ) -> str:
        """An invitation's address, made now (or at `at`)."""
        found = link(self.store, self.settings, survey, recipient, at or utcnow(), kind)
        return f"{self.base}/s/{found.token}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SurveySite]:
    folder = tmp_path_factory.mktemp("survey-site")
    url = f"duckdb:///{folder / 'surveys.duckdb'}"
    # views recomputed as soon as an answer moves the store (not at most every 30 s as on a busy server)
    server = ON_DEMAND.model_copy(update={"refresh_seconds": 0.0})
    settings = demo_settings(store=StoreSettings(url=url), server=server)
    data = simulate(1_000, seed=42)
    with Store(url) as store:
        write_demo(store, data)
        signed_up(store)
        published(store, template("servqual", settings), template("beliefs", settings), steps(), widget())
        staff = folder / "staff.csv"
        staff.write_text(f"id,email,language,role\n{LEADER},lea@example.com,en,leader\n")
        import_contacts(store, staff, "staff", utcnow())
    customer = str(data.tables["customers"]["customer_id"][0].as_py())
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield SurveySite(base, settings, app.state.store, app.state.dashboard, customer)
    finally:
        app.state.dashboard.close()


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    """A fresh phone-sized tab of its own (no cookies: a respondent has no account)."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(SLOW)
    yield tab
    context.close()


def serious(tab: Any, name: str, artifacts: Path) -> list[str]:
    """axe-core's serious and critical violations on the tab's page (every violation kept to read)."""
    found = AXE.run(tab).response["violations"]
    (artifacts / f"axe-respond-{name}.json").write_text(json.dumps(found, indent=1, default=str))
    return [
        f"{v['id']} ({v['impact']}): {n['target']}"
        for v in found
        if v["impact"] in BLOCKING
        for n in v["nodes"]
    ]


def fits(tab: Any) -> bool:
    """Whether the page is no wider than the phone (nothing to scroll sideways)."""
    return bool(tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def nps_n(tab: Any, site: SurveySite) -> int:
    """The overview's NPS n, as the dashboard shows it."""
    site.open_fresh(tab, "/")
    said = tab.locator("#score-nps .interval").inner_text()
    found = re.search(r"n\s*=\s*([\d,]+)", said)
    assert found, said
    return int(found.group(1).replace(",", ""))


def test_a_customer_answers_servqual_on_a_phone_and_the_answer_reaches_store_dashboard_and_cases(
    site: SurveySite, phone: Any, chromium: Any, artifacts: Path
) -> None:
    analyst = signed_in(chromium, Site(site.base, site.customer, {}), PHONE)
    before = nps_n(analyst, site)

    phone.goto(site.link("servqual", site.customer), wait_until="networkidle")
    assert fits(phone)
    assert serious(phone, "page", artifacts) == []
    phone.screenshot(path=str(artifacts / "survey-servqual-phone.png"), full_page=True)
    for name in phone.eval_on_selector_all(
        "input[type=radio][name$='.expectation']", "els => [...new Set(els.map(e => e.name))]"
    ):
        item = name.removesuffix(".expectation")
        phone.locator(f"label[for='{_radio(item, 'expectation', 6)}']").click()
        phone.locator(f"label[for='{_radio(item, 'perception', 3)}']").click()
    phone.locator("label[for='q-nps-3']").click()
    phone.fill("#q-comment", "The installer came two days late and nobody called.")
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_selector("#thanks")
    assert fits(phone)
    assert serious(phone, "thanks", artifacts) == []

    stored = rows(
        site.store, "SELECT * FROM responses WHERE survey = 'servqual' AND customer_id = :c", c=site.customer
    )
    assert len(stored) == 1 and stored[0].nps == 3 and "installer came two days late" in stored[0].comment
    response_id = stored[0].response_id
    items = rows(
        site.store, "SELECT expectation, perception FROM response_items WHERE response_id = :r", r=response_id
    )
    assert len(items) == len(site.settings.items) and {(i.expectation, i.perception) for i in items} == {
        (6, 3)
    }
    kept = dict(
        rows(site.store, "SELECT question, value FROM survey_answers WHERE response_id = :r", r=response_id)
    )
    assert kept["nps"] == "3" and "installer" in kept["comment"]

    assert nps_n(analyst, site) == before + 1
    cases = rows(site.store, "SELECT case_id FROM cases WHERE trigger_id = :r", r=response_id)
    assert len(cases) == 1, "a detractor's answer opens a case at once"
    analyst.goto(site.base + "/cases", wait_until="networkidle")
    assert analyst.locator(f"a[href='/cases/{cases[0].case_id}']").count() >= 1
    analyst.close()


def _radio(item: str, ask: str, value: int) -> str:
    return f"q-{item}-{ask}-{value}".replace("_", "-")


def _headline(tab: Any, site: SurveySite) -> str:
    site.open_fresh(tab, "/")
    return str(tab.locator("#headline").inner_text())


def test_a_leader_answers_the_belief_survey_and_the_perception_headline_counts_them(
    site: SurveySite, phone: Any, chromium: Any
) -> None:
    analyst = signed_in(chromium, Site(site.base, site.customer, {}), PHONE)
    before = _headline(analyst, site)
    assert "80% of leaders" in before and "n=40]" in before  # the demo's 40 leaders, 32 saying superior

    phone.goto(site.link("beliefs", LEADER, kind="staff"), wait_until="networkidle")
    assert "Question 1 of" in phone.locator(".progress").inner_text()
    phone.locator("label[for='q-superior-no']").click()
    phone.get_by_role("button", name="Next").click()
    phone.fill("input[name$='.superior_share']", "75")  # the first touchpoint: what share call us superior
    while phone.get_by_role("button", name="Next").count():
        phone.get_by_role("button", name="Next").click()
        phone.wait_for_load_state()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_selector("#thanks")

    beliefs = rows(site.store, "SELECT * FROM beliefs WHERE respondent_id = :r", r=LEADER)
    overall = [b for b in beliefs if b.touchpoint is None and b.item is None]
    assert len(overall) == 1 and overall[0].superior is False and overall[0].role == "leader"
    assert any(b.believed_superior_share == 75 for b in beliefs)
    after = _headline(analyst, site)
    assert "78% of leaders" in after and "n=41]" in after  # 32 of 41 now
    analyst.close()


def test_a_used_and_an_expired_link_are_refused(site: SurveySite, phone: Any, artifacts: Path) -> None:
    used = site.link("steps", "C-used")
    phone.goto(used, wait_until="networkidle")
    phone.locator("label[for='q-nps-10']").click()
    phone.get_by_role("button", name="Next").click()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_selector("#thanks")
    answer = phone.goto(used, wait_until="networkidle")
    assert answer.status == 409 and "already answered" in phone.locator("#error").inner_text()
    assert fits(phone)
    assert serious(phone, "error", artifacts) == []

    expired = site.link(
        "steps", "C-late", at=utcnow() - dt.timedelta(days=site.settings.surveys.token_days + 1)
    )
    answer = phone.goto(expired, wait_until="networkidle")
    assert answer.status == 410 and "expired" in phone.locator("#error").inner_text()


def tab_to(tab: Any, condition: str) -> None:
    """Press Tab until the focused element meets `condition` (JavaScript on `el`), a dozen times at most."""
    for _ in range(12):
        tab.keyboard.press("Tab")
        if tab.evaluate(f"(el => {condition})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {condition}")


def test_the_nps_step_is_answered_by_keyboard_alone(site: SurveySite, phone: Any) -> None:
    phone.goto(site.link("steps", "C-keys"), wait_until="networkidle")
    tab_to(phone, "el.name === 'nps'")  # past the language links to the scale's first button
    assert phone.evaluate("document.activeElement.id") == "q-nps-0"
    phone.keyboard.press("Space")
    for _ in range(3):
        phone.keyboard.press("ArrowRight")
    assert phone.evaluate("document.querySelector('input[name=nps]:checked').value") == "3"
    outline = phone.evaluate("getComputedStyle(document.activeElement.nextElementSibling).outlineStyle")
    assert outline != "none"  # the focused button shows it
    with phone.expect_navigation():
        phone.keyboard.press("Enter")  # Enter sends the step (Next comes first in the form)
    assert "Question 2 of 3" in phone.locator(".progress").inner_text()  # a detractor is asked why
    tab_to(phone, "el.name === 'why'")
    phone.keyboard.type("Too slow.")
    tab_to(phone, "el.textContent === 'Next'")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert "Question 3 of 3" in phone.locator(".progress").inner_text()
    tab_to(phone, "el.name === 'superior'")
    phone.keyboard.press("Space")
    tab_to(phone, "el.textContent === 'Send my answers'")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert phone.locator("#thanks").count() == 1
    stored = rows(site.store, "SELECT nps, comment, superior FROM responses WHERE customer_id = 'C-keys'")
    assert [(r.nps, r.comment, r.superior) for r in stored] == [(3, "Too slow.", True)]


@contextlib.contextmanager
def shop(page: str) -> Iterator[str]:
    """Another site (another origin: a port of its own) serving one page."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_widget_on_another_site_asks_and_stores_the_answer(
    site: SurveySite, phone: Any, artifacts: Path
) -> None:
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script>window.cxgap = window.cxgap || function () {{ (window.cxgap.q = window.cxgap.q || []).push(arguments); }};</script>
<script src="{site.base}/static/cxgap-widget.js" data-survey="web-nps" data-event="checkout_done" async></script>
</head><body><main><h1>Thank you for your order</h1></main></body></html>"""
    with shop(page) as origin:
        assert origin.split(":")[-1] != site.base.split(":")[-1]
        phone.goto(origin + "/", wait_until="networkidle")
        phone.evaluate("window.cxgap('event', 'checkout_done', {customer: 'C-widget'})")
        dialog = phone.get_by_role("dialog", name="How likely are you to recommend us?")
        dialog.wait_for()
        assert serious(phone, "widget", artifacts) == []
        assert dialog.get_by_role("radio", name=re.compile(r"^0\W+Not at all likely$")).count() == 1
        dialog.get_by_role("radio", name="9", exact=True).check()
        dialog.get_by_role("button", name="Send my answers").click()
        phone.get_by_text("Thanks for telling us!").wait_for()
    stored = rows(site.store, "SELECT nps, survey FROM responses WHERE customer_id = 'C-widget'")
    assert [(r.nps, r.survey) for r in stored] == [(9, "web-nps")]
    made = rows(site.store, "SELECT reason FROM survey_invitations WHERE recipient_id = 'C-widget'")
    assert [m.reason for m in made] == ["widget"]
