"""The weighted scores on the surfaces: the overview shows each score unweighted and weighted side by side
with the effective n (`?weighted=1`), /api/scores adds the weighted figure, and `cxgap analyze --weighted`
prints both; without the option every surface is as before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import sign_in, signed_up
from tests.surveys.test_weighted_scores import PERIOD, simulate, write

SLICE = {"since": PERIOD.since, "until": PERIOD.until}


@pytest.fixture(scope="module")
def planted_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A base of 3,000 customers whose enterprise customers answer eight times as often as consumers."""
    url = f"duckdb:///{tmp_path_factory.mktemp('surfaces') / 'base.duckdb'}"
    with Store(url) as store:
        write(store, simulate(3_000, seed=8))
        signed_up(store)
    return url


@pytest.fixture(scope="module")
def client(planted_url: str) -> Iterator[TestClient]:
    app = create_app(demo_settings(store=StoreSettings(url=planted_url), server=ON_DEMAND))
    with TestClient(app) as client:
        assert sign_in(client, "ana").status_code == 303
        yield client
    app.state.store.close()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_overview_shows_each_score_unweighted_and_weighted_with_the_effective_n(client) -> None:
    page = client.get("/", params=SLICE | {"weighted": "1"})
    assert page.status_code == 200, page.text
    result = client.app.state.dashboard.weighted(PERIOD)
    nps = result.get("nps")
    assert nps is not None and nps.unweighted is not None and nps.effective_n is not None
    tile = _text(page.text.split('id="score-nps"')[1].split('id="score-csat"')[0])
    assert nps.unweighted.figure() in tile  # the unweighted figure, as ever
    assert f"weighted to the customer base {nps.figure()}" in tile
    assert f"effective n={nps.effective_n:,.0f}" in tile and "design effect" in tile
    assert f"difference to unweighted: {nps.difference_figure()}" in tile
    assert result.describe() in _text(page.text)
    assert 'href="/?since=2025-01&amp;until=2025-06"' in page.text  # back to the unweighted overview


def test_the_overview_without_the_option_offers_it_and_computes_no_weights(client) -> None:
    page = client.get("/", params=SLICE)
    assert page.status_code == 200
    assert 'id="weighted-nps"' not in page.text
    assert 'href="/?since=2025-01&amp;until=2025-06&amp;weighted=1"' in page.text
    assert "Show the scores weighted to the customer base" in page.text


def test_the_scores_api_adds_the_weighted_figure_on_request(client) -> None:
    plain = client.get("/api/scores", params=SLICE).json()
    assert "weighted" not in plain
    answer = client.get("/api/scores", params=SLICE | {"metric": "csat", "weighted": "true"})
    assert answer.status_code == 200
    weighted = answer.json()["weighted"]
    expected = client.app.state.dashboard.weighted(PERIOD).get("csat")
    assert weighted["effective_n"] == pytest.approx(expected.effective_n)
    assert weighted["design_effect"] == pytest.approx(expected.design_effect)
    assert weighted["variables"] == ["segment", "region", "tenure", "value_band"]
    assert answer.json()["scores"][0]["n"] == weighted["respondents"] + weighted["not_weighted"]
    refused = client.get("/api/scores", params={"weighted": "true", "by": "segment"})
    assert refused.status_code == 400 and "leave out `by`" in refused.json()["detail"]
    assert client.get("/api/scores", params={"weighted": "1", "metric": "ces_easy"}).status_code == 400


def test_analyze_prints_weighted_beside_unweighted_only_when_asked(
    cli, tmp_path: Path, planted_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "{planted_url}"\n', encoding="utf-8")
    args = ("analyze", "--since", "2025-01", "--until", "2025-06", "--top", "3")
    plain = cli(*args)
    assert plain.exit_code == 0, plain.stderr
    said = " ".join(plain.stdout.split())
    assert "weighted" not in said and "Scores" in said and "NPS │ relational" in said
    weighted = cli(*args, "--weighted")
    assert weighted.exit_code == 0, weighted.stderr
    text = " ".join(weighted.stdout.split())
    assert "Scores weighted to the customer base (raking)" in text
    assert re.search(r"NPS \(relational\) │ [+-]\d+ \[[+-]\d+, [+-]\d+\], n=[\d,]+ │ [+-]\d+ \[", text)
    assert "effective n=" in text and "design effect" in text
    assert "NPS (relational): 42 anonymous or unmatched answers are not weighted." in text
    as_json = cli(*args, "--weighted", "--json")
    assert as_json.exit_code == 0
    assert '"design_effect"' in as_json.stdout and '"unweighted"' in as_json.stdout
