"""The dashboard's theme rows link to the texts behind them (a page and its JSON), for analysts and admins
only: verbatim comments are customer-level data, so viewers, kiosk readers and anonymous requests get none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.api.auth import WITHHELD
from cxgap.config import settings_from_dict
from cxgap.store import Store
from tests.api.signing import sign_in, signed_up
from tests.cli.test_first_data import REVIEWS_MAPPING, build_store, reviews_csv

THEMES = {
    "noise": {
        "description": "noisy at night, thin walls, could not sleep",
        "keywords": ["noisy", "thin walls"],
    },
    "breakfast": {"description": "the breakfast food", "keywords": ["breakfast", "cold breakfast"]},
}


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app on a store of imported reviews with two configured themes; an analyst and a viewer with
    their API tokens; the client is signed in as the analyst."""
    folder = tmp_path_factory.mktemp("theme_texts")
    path = build_store(folder, {"reviews": (reviews_csv(100), REVIEWS_MAPPING)})
    url = f"duckdb:///{path}"
    with Store(url) as store:
        tokens = signed_up(store)
    app = create_app(
        settings_from_dict({"store": {"url": url}, "themes": THEMES, "server": {"precompute": False}})
    )
    with TestClient(app) as client:
        sign_in(client, "ana")
        yield client, tokens
    app.state.store.close()


def test_an_analyst_follows_a_theme_row_to_its_texts(reviews) -> None:
    client, _ = reviews
    summary = {t["theme"]: t for t in client.get("/api/text").json()["themes"]}
    assert summary["noise"]["texts"] > 0
    page = client.get("/text")
    assert 'href="/text/themes/noise"' in page.text
    texts = client.get("/text/themes/noise")
    assert texts.status_code == 200 and 'id="theme-texts"' in texts.text
    found = client.get("/api/text/themes/noise").json()
    assert found["texts"] == summary["noise"]["texts"] == len(found["rows"])
    assert all(r["text"].startswith("noisy at night") for r in found["rows"])
    scores = [r["score"] for r in found["rows"]]
    assert scores == sorted(scores, reverse=True)  # the most typical first
    assert {"id", "kind", "sentiment", "sentiment_score", "score", "text"} <= set(found["rows"][0])
    assert all(r["id"] in texts.text for r in found["rows"])
    limited = client.get("/api/text/themes/noise", params={"limit": 3}).json()
    assert len(limited["rows"]) == 3 and limited["texts"] == found["texts"]


def test_an_unknown_theme_is_one_sentence(reviews) -> None:
    client, _ = reviews
    answer = client.get("/api/text/themes/parking")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "There is no theme 'parking'; the themes are noise, breakfast."


def test_a_viewer_sees_the_theme_rows_but_no_texts(reviews) -> None:
    client, tokens = reviews
    with TestClient(client.app) as viewer:
        sign_in(viewer, "vic")
        page = viewer.get("/text")
        assert page.status_code == 200 and "noise" in page.text and "/text/themes/" not in page.text
        refused = viewer.get("/text/themes/noise")
        assert (
            refused.status_code == 403 and WITHHELD in refused.text and "noisy at night" not in refused.text
        )
    by_token = client.get("/api/text/themes/noise", headers={"Authorization": f"Bearer {tokens['vic']}"})
    assert by_token.status_code == 403 and "noisy" not in by_token.text
    analyst = client.get("/api/text/themes/noise", headers={"Authorization": f"Bearer {tokens['ana']}"})
    assert analyst.status_code == 200 and analyst.json()["rows"]


def test_anonymous_and_kiosk_readers_get_no_texts(tmp_path: Path) -> None:
    path = build_store(tmp_path, {"reviews": (reviews_csv(60), REVIEWS_MAPPING)})
    config = {
        "store": {"url": f"duckdb:///{path}"},
        "themes": THEMES,
        "server": {"public_aggregates": True, "precompute": False},
    }
    kiosk = create_app(settings_from_dict(config))
    with TestClient(kiosk) as anyone:
        assert anyone.get("/text").status_code == 200  # the aggregates are open on a kiosk
        assert anyone.get("/api/text/themes/noise").status_code == 401
        page = anyone.get("/text/themes/noise", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    kiosk.state.store.close()
