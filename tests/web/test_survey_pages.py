"""The respondent pages at /s/<token> through a TestClient, on both backends: a survey a question at a time
(skip logic between steps, each step saved so a reopened link goes on where it stopped, Back, the required
question's problem beside it with an error summary), one on one page (a question an answer brings up appears
after the post), the thank-you page and its consent, the refusals (used, expired, invalid, closed), the
public link with its honeypot and rate limit, the language switch, the brand and headers, and the editor's
preview. Nothing of the dashboard's frame is shown to a respondent."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from cxgap.surveys.anonymous import HONEYPOT_FIELD, AnonymousGuard
from cxgap.surveys.catalog import close
from cxgap.web.surveys.respond import render_survey
from tests.api.on_demand import ON_DEMAND
from tests.api.server import TickingClock
from tests.web.survey_site import CONSENT, NOW, link, page, published, rows, steps


class Site:
    """A TestClient app on a store with the test surveys published; its clock is an hour after NOW."""

    def __init__(self, url: str) -> None:
        self.settings = demo_settings(store=StoreSettings(url=url), server=ON_DEMAND)
        with Store(url) as store:
            published(store, steps(), page(), page("public", anonymous=True))
        self.app = create_app(self.settings)
        self.app.state.clock = lambda: NOW + dt.timedelta(hours=1)
        self.store: Store = self.app.state.store
        self.client = TestClient(self.app)

    def link(self, survey: str, customer: str | None = "C1", at: dt.datetime = NOW) -> str:
        return link(self.store, self.settings, survey, customer, at).token


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('survey-pages') / 'surveys.duckdb'}"
    else:
        from tests.conftest import _reset_pg

        url = str(request.getfixturevalue("pg_database"))
        _reset_pg(url)
    made = Site(url)
    with made.client:
        yield made
    made.app.state.dashboard.close()


def text(answer: Any) -> str:
    return html.unescape(answer.text)


def filled(page_html: str) -> dict[str, str]:
    """What a browser sends of the form as it is: hidden fields, checked buttons, text as shown."""
    found = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page_html))
    found |= dict(
        re.findall(
            r'<input type="(?:radio|checkbox)" id="[^"]+" name="([^"]+)" value="([^"]*)" checked', page_html
        )
    )
    found |= dict(re.findall(r'<input type="number" id="[^"]+" name="([^"]+)" value="([^"]*)"', page_html))
    found |= {
        k: html.unescape(v)
        for k, v in re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page_html)
    }
    return found


def post(site: Site, token: str, page_html: str, **answers: str) -> Any:
    """Post the form of `page_html` as a browser would, with these answers and the Next button."""
    return site.client.post(f"/s/{token}", data={**filled(page_html), "action": "next", **answers})


def invitation(site: Site, token: str) -> Any:
    from cxgap.surveys.tokens import read_token, survey_secret

    found = read_token(survey_secret(site.store), token)
    return rows(site.store, "SELECT * FROM survey_invitations WHERE invitation_id = :i", i=found)[0]


def test_a_survey_page_shows_the_brand_only_and_is_private(site: Site) -> None:
    answer = site.client.get(f"/s/{site.link('steps')}")
    page_html = answer.text
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    policy = answer.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'<style nonce="{nonce.group(1)}">' in page_html and "--brand: #7a1fa2" in page_html
    assert "script-src 'self'" in policy and not re.search(r"<script(?![^>]*\bsrc=)", page_html)
    assert "Acme Telecom" in page_html and "<h1>How did we do?</h1>" in page_html
    assert 'aria-label="Dashboard pages"' not in page_html and "/sign-in" not in page_html
    assert "Question 1 of 2" in page_html  # the 'why' is not asked until an answer calls for it
    radios = re.findall(r'<input type="radio" id="q-nps-(\d+)" name="nps"', page_html)
    assert radios == [str(n) for n in range(11)]
    assert '0<span class="visually-hidden">, Not at all likely</span>' in page_html
    assert '10<span class="visually-hidden">, Extremely likely</span>' in page_html
    assert re.search(r"<fieldset id=\"q-nps\"[^>]*>\s*<legend>How likely are you", page_html)


def test_steps_apply_skip_logic_save_each_step_and_go_on_where_left(site: Site) -> None:
    token = site.link("steps", "C-steps")
    first = site.client.get(f"/s/{token}").text
    missing = post(site, token, first)  # Next without an answer: the problem beside the question
    assert missing.status_code == 422
    said = missing.text
    assert 'id="error-summary" role="alert" tabindex="-1" autofocus' in said
    assert '<a href="#q-nps-0">' in said and 'aria-describedby="q-nps-error"' in said
    assert 'id="q-nps-error">Please answer this question.' in said

    second = post(site, token, first, nps="3")
    assert second.status_code == 200 and "Question 2 of 3" in second.text  # a detractor is asked why
    assert '<textarea id="q-why" name="why"' in second.text
    assert json.loads(invitation(site, token).partial) == {"nps": 3}
    assert invitation(site, token).status == "partial"

    reopened = site.client.get(f"/s/{token}").text  # the link again: on where it stopped
    assert "Question 2 of 3" in reopened and 'name="step" value="why"' in reopened
    back = post(site, token, reopened, why="The technician came late.", action="back")
    assert 'id="q-nps-3" name="nps" value="3" checked' in back.text
    assert json.loads(invitation(site, token).partial)["why"] == "The technician came late."

    promoter = post(site, token, back.text, nps="9")  # now a promoter: no 'why', straight to superior
    assert "Question 2 of 2" in promoter.text and 'name="step" value="superior"' in promoter.text
    done = post(site, token, promoter.text, superior="no", action="submit")
    assert done.status_code == 200 and "Thank you, that helps us." in done.text
    stored = rows(site.store, "SELECT * FROM responses WHERE customer_id = 'C-steps'")
    assert len(stored) == 1 and stored[0].nps == 9 and stored[0].superior is False
    assert stored[0].survey == "steps" and stored[0].survey_version == 1
    assert stored[0].comment is None  # the 'why' of a promoter was never asked: it counts for nothing
    kept = rows(
        site.store,
        "SELECT question, value FROM survey_answers WHERE response_id = :r",
        r=stored[0].response_id,
    )
    assert dict(kept) == {"nps": "9", "superior": "no"}

    assert CONSENT in done.text  # the thank-you page asks the follow-up consent
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', done.text))
    consented = site.client.post(f"/s/{token}/consent", data={**form, "consent": "yes"})
    assert consented.status_code == 200 and "we noted your choice" in consented.text
    kept = rows(
        site.store,
        "SELECT value FROM survey_answers WHERE response_id = :r AND question = '_consent'",
        r=stored[0].response_id,
    )
    assert [k.value for k in kept] == ["yes"]
    again = site.client.get(f"/s/{token}/consent", follow_redirects=False)  # a reload of the consent
    assert again.status_code == 303 and again.headers["location"] == f"/s/{token}"


def test_a_used_expired_invalid_or_closed_link_is_refused_with_a_sentence(site: Site) -> None:
    token = site.link("steps", "C-used")
    page_html = site.client.get(f"/s/{token}").text
    assert post(site, token, post(site, token, page_html, nps="10").text, action="submit").status_code == 200
    for answer in (site.client.get(f"/s/{token}"), post(site, token, page_html, nps="10")):
        assert answer.status_code == 409
        assert "already answered" in text(answer) and "Traceback" not in answer.text
        assert answer.headers["cache-control"] == "no-store"

    expired = site.link("steps", "C-late", at=NOW - dt.timedelta(days=30))
    answer = site.client.get(f"/s/{expired}")
    assert answer.status_code == 410 and "expired" in text(answer)

    answer = site.client.get(f"/s/{token[:-3]}xyz")
    assert answer.status_code == 404 and "not valid" in text(answer)
    assert site.client.get("/s/not-a-token!").status_code == 404

    closing = steps().model_copy(update={"name": "closing"})
    published(site.store, closing)
    open_one = site.link("closing", "C-closed")
    close(site.store, "closing", now=NOW)
    answer = site.client.get(f"/s/{open_one}")
    assert answer.status_code == 410 and "closed" in text(answer)


def test_one_page_shows_a_question_an_answer_brings_up_before_storing(site: Site) -> None:
    token = site.link("page", "C-page")
    first = site.client.get(f"/s/{token}").text
    assert "Question" not in first and 'name="step"' not in first
    assert first.count('<fieldset class="sub"><legend>What you expect</legend>') == 2
    assert 'name="why"' not in first  # asked of detractors only

    wrong = post(site, token, first, **{"on_time.expectation": "7", "nps": "11", "channel": "app"})
    assert wrong.status_code == 422 and 'id="error-summary"' in wrong.text
    assert 'id="q-on-time-expectation-7" name="on_time.expectation" value="7" checked' in wrong.text
    assert 'value="app" checked' in wrong.text  # the answers given are kept

    detractor = post(
        site, token, wrong.text, **{"on_time.expectation": "7", "on_time.perception": "2", "nps": "4"}
    )
    assert detractor.status_code == 200 and '<textarea id="q-why" name="why"' in detractor.text
    assert "Your answers brought up more questions below." in detractor.text
    assert not rows(site.store, "SELECT 1 FROM responses WHERE customer_id = 'C-page'")

    done = post(site, token, detractor.text, why="Call me, my number is +49 170 1234567.", action="submit")
    assert done.status_code == 200
    stored = rows(site.store, "SELECT * FROM responses WHERE customer_id = 'C-page'")
    assert len(stored) == 1 and stored[0].nps == 4
    assert "1234567" not in (stored[0].comment or "")  # typed text is redacted before it is stored
    items = rows(
        site.store,
        "SELECT item, expectation, perception FROM response_items WHERE response_id = :r",
        r=stored[0].response_id,
    )
    assert [(i.item, i.expectation, i.perception) for i in items] == [("as_promised", 7.0, 2.0)]


def test_a_client_posting_straight_to_the_link_is_stored(site: Site) -> None:
    token = site.link("page", "C-direct")
    answer = site.client.post(f"/s/{token}", data={"nps": "8", "helpful.perception": "6"})
    assert answer.status_code == 200, answer.text
    assert rows(site.store, "SELECT nps FROM responses WHERE customer_id = 'C-direct'")[0].nps == 8


def test_the_language_switch(site: Site) -> None:
    token = site.link("steps", "C-de")
    english = site.client.get(f"/s/{token}").text
    assert '<html lang="en">' in english and 'href="?lang=de" lang="de" hreflang="de">Deutsch' in english
    german = site.client.get(f"/s/{token}?lang=de").text
    assert '<html lang="de">' in german and "<h1>Wie war es?</h1>" in german and ">Weiter</button>" in german
    assert 'aria-current="true">Deutsch' in german
    assert 'name="lang" value="de"' in german
    unanswered = post(site, token, german)
    assert "Bitte prüfen Sie diese Antwort" in unanswered.text
    assert "Bitte beantworten Sie diese Frage." in unanswered.text
    assert "Wie war es?" in post(site, token, german, nps="8").text  # the next step stays in German
    assert '<html lang="en">' in site.client.get(f"/s/{token}?lang=xx").text  # unknown: the default


def test_the_public_link_has_a_honeypot_and_a_rate_limit(site: Site) -> None:
    opened = site.client.get("/s/a/public", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].startswith("/s/")
    token = opened.headers["location"].removeprefix("/s/")
    first = site.client.get(f"/s/{token}").text
    trap = re.search(rf'<div class="hp" aria-hidden="true">.*?name="{HONEYPOT_FIELD}"[^>]*>', first)
    assert trap and 'tabindex="-1"' in trap.group(0) and 'autocomplete="off"' in trap.group(0)

    bot = post(site, token, first, nps="0", **{HONEYPOT_FIELD: "http://spam.example"}, action="submit")
    assert bot.status_code == 200 and "<h1" in bot.text  # the bot hears thanks ...
    assert invitation(site, token).response_id is None  # ... and nothing is kept
    person = post(site, token, first, nps="9", action="submit")
    assert person.status_code == 200 and invitation(site, token).status == "answered"

    assert site.client.get("/s/a/steps", follow_redirects=False).status_code == 404  # not public
    assert site.client.get("/s/a/nothing", follow_redirects=False).status_code == 404

    site.app.state.survey_guard = AnonymousGuard(3, clock=TickingClock(0.0))  # 3 at once, never refilled
    try:
        codes = [site.client.get("/s/a/public", follow_redirects=False).status_code for _ in range(4)]
        assert codes == [303, 303, 303, 429]
        refused = site.client.get("/s/a/public", follow_redirects=False)
        assert "Too many survey answers from this address" in text(refused)
        assert "retry-after" in refused.headers
    finally:
        del site.app.state.survey_guard


def test_the_preview_shows_every_question_without_a_form_action() -> None:
    preview = render_survey(page(), 3, "en", {}, {}, None, None, preview=True)
    assert "Preview." in preview and 'method="post"' not in preview and "action=" not in preview
    assert 'name="why"' in preview and "Asked only when nps &lt;= 6." in preview
    assert 'type="button" class="primary"' in preview
    one = render_survey(steps(), 1, "de", {"nps": 2}, {}, 1, None, preview=True)
    assert "Frage 2 von 3" in one and "Was lief schief?" in one


def test_survey_text_is_escaped() -> None:
    sneaky = steps().model_copy(update={"title": {"en": "<script>alert(1)</script>", "de": "x"}})
    rendered = render_survey(sneaky, 1, "en", {}, {}, 0, "t", preview=False)
    assert "<script>alert" not in rendered and "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
