"""The respondents' JSON API (the widget's), on both backends: a fresh widget invitation answers the one
question to show, any origin may call it (CORS, with its preflight), answers are stored through the same
checks (422 with problems per question), a used link is 409, an expired one 410, a made-up one 404, a survey
not open to the public or not starting with NPS or CSAT is refused, and one address is rate-limited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from cxgap.surveys.anonymous import AnonymousGuard
from tests.api.on_demand import ON_DEMAND
from tests.api.server import TickingClock
from tests.web.survey_site import NOW, link, published, rows, steps, widget

ORIGIN = {"Origin": "https://shop.example"}


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A TestClient app whose store holds the widget's surveys (and one that is not public)."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('respond-api') / 'surveys.duckdb'}"
    else:
        from tests.conftest import _reset_pg

        url = str(request.getfixturevalue("pg_database"))
        _reset_pg(url)
    settings = demo_settings(store=StoreSettings(url=url), server=ON_DEMAND)
    with Store(url) as store:
        published(
            store,
            widget(),
            widget("web-csat", first="csat"),
            widget("private", anonymous=False),
            widget("talk", first="comment"),
            steps(),
        )
    app = create_app(settings)
    app.state.clock = lambda: NOW + dt.timedelta(hours=1)
    with TestClient(app) as client:
        client.app_state = app.state  # type: ignore[attr-defined]
        client.settings = settings  # type: ignore[attr-defined]
        yield client
    app.state.dashboard.close()


def test_the_widget_gets_a_fresh_invitation_and_its_question(api: Any) -> None:
    answer = api.post("/api/respond/widget/web-nps", json={"customer": "C77"}, headers=ORIGIN)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["question"] == {"id": "score", "type": "nps", "text": "How likely are you to recommend us?"}
    assert body["scale"] == [0, 10]
    assert body["labels"] == {"low": "Not at all likely", "high": "Extremely likely"}
    assert body["brand"] == {"company": "Acme Telecom", "primary": "#7a1fa2"}
    made = rows(api.app_state.store, "SELECT * FROM survey_invitations WHERE recipient_id = 'C77'")
    assert len(made) == 1 and made[0].reason == "widget" and made[0].recipient_kind == "customer"

    csat = api.post("/api/respond/widget/web-csat", content=b"").json()  # no body: an anonymous visitor
    assert csat["scale"] == [1, 5] and csat["labels"]["high"] == "Very satisfied"


def test_a_preflight_lets_any_origin_post_json(api: Any) -> None:
    for path in ("/api/respond/widget/web-nps", "/api/respond/some-token"):
        answer = api.options(
            path,
            headers={
                **ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert answer.status_code == 204
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "POST" in answer.headers["access-control-allow-methods"]
        assert "Content-Type" in answer.headers["access-control-allow-headers"]
    assert "access-control-allow-origin" not in api.get("/api/status").headers  # only these two paths


def test_an_answer_is_stored_once_and_a_used_link_is_409(api: Any) -> None:
    token = api.post("/api/respond/widget/web-nps", json={"customer": "C78"}).json()["token"]
    stored = api.post(f"/api/respond/{token}", json={"answers": {"score": 2}}, headers=ORIGIN)
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"stored": True, "version": 1, "thanks": "Thanks for telling us!"}
    assert stored.headers["access-control-allow-origin"] == "*"
    found = rows(api.app_state.store, "SELECT nps, survey FROM responses WHERE customer_id = 'C78'")
    assert [(r.nps, r.survey) for r in found] == [(2, "web-nps")]
    again = api.post(f"/api/respond/{token}", json={"answers": {"score": 9}})
    assert again.status_code == 409 and "already answered" in again.json()["detail"]
    assert again.headers["access-control-allow-origin"] == "*"


def test_problems_expired_and_made_up_links(api: Any) -> None:
    token = api.post("/api/respond/widget/web-nps").json()["token"]
    wrong = api.post(f"/api/respond/{token}", json={"answers": {"score": 11}})
    assert wrong.status_code == 422 and set(wrong.json()["problems"]) == {"score"}
    assert api.post(f"/api/respond/{token}", json={"answers": {}}).status_code == 422
    assert api.post(f"/api/respond/{token}", json={"score": 3}).status_code == 400  # not {"answers": ...}
    assert api.post(f"/api/respond/{token}", content=b"{not json").status_code == 400
    assert api.post(f"/api/respond/{token}", json={"answers": {"score": 10}}).status_code == 200

    old = link(api.app_state.store, api.settings, "web-nps", None, at=NOW - dt.timedelta(days=40)).token
    expired = api.post(f"/api/respond/{old}", json={"answers": {"score": 5}})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    made_up = api.post("/api/respond/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", json={"answers": {"score": 5}})
    assert made_up.status_code == 404 and "not valid" in made_up.json()["detail"]


def test_surveys_the_widget_cannot_show_are_refused(api: Any) -> None:
    assert api.post("/api/respond/widget/private").status_code == 404  # not open to the public
    assert api.post("/api/respond/widget/nothing").status_code == 404
    talk = api.post("/api/respond/widget/talk")
    assert talk.status_code == 400 and "must be NPS or CSAT" in talk.json()["detail"]
    assert api.post("/api/respond/widget/web-nps", json={"customer": ["x"]}).status_code == 400


def test_one_address_is_rate_limited(api: Any) -> None:
    api.app_state.survey_guard = AnonymousGuard(2, clock=TickingClock(0.0))  # 2 at once, never refilled
    try:
        codes = [api.post("/api/respond/widget/web-nps").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = api.post("/api/respond/widget/web-nps")
        assert "Too many survey answers" in refused.json()["detail"]
        assert "retry-after" in refused.headers and refused.headers["access-control-allow-origin"] == "*"
    finally:
        del api.app_state.survey_guard
