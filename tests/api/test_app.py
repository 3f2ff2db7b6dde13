"""The web app on the demo company and on an empty store: pages and API show the same numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app, plain
from cxgap.config import Settings, StoreSettings
from cxgap.demo import simulate, write_demo
from cxgap.store import Store


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory):
    url = f"duckdb:///{tmp_path_factory.mktemp('web') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
    app = create_app(Settings(store=StoreSettings(url=url)))
    with TestClient(app) as client:
        yield client
    app.state.store.close()


def test_overview_shows_the_same_figures_as_the_api(demo_client: TestClient) -> None:
    page = demo_client.get("/")
    assert page.status_code == 200 and "Where to act first" in page.text
    api = demo_client.get("/api/gaps/act-first", params={"limit": 10}).json()
    shown = re.findall(r'<td class="figure">([^<]+)</td>', page.text)
    assert shown and shown == [row["figure"].replace("'", "&#39;") for row in api]
    headline = demo_client.get("/api/gaps").json()["headline"]
    assert f"{100 * headline['leaders']['value']:.0f}% of leaders" in page.text
    assert "<script" not in page.text and "http" not in page.text.replace("/api/gaps", "").split("<body>")[0]


def test_the_api_serves_every_gap_as_json_with_nulls_not_nan(demo_client: TestClient) -> None:
    report = demo_client.get("/api/gaps").json()
    kinds = {g["kind"] for g in report["gaps"]}
    assert kinds == {"perception", "knowledge", "design", "implementation", "communication", "customer"}
    design = next(g for g in report["gaps"] if g["kind"] == "design")
    assert design["p_value"] is None and design["note"]
    assert demo_client.get("/openapi.json").json()["paths"].keys() >= {"/api/gaps", "/api/status"}
    assert demo_client.get("/api/status").json()["rows"]["customers"] == 3_000


def test_an_empty_store_explains_how_to_import(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    app = create_app(Settings(store=StoreSettings(url=url)))
    with TestClient(app) as client:
        page = client.get("/")
        assert page.status_code == 200 and "cxgap import" in page.text and "cxgap demo" in page.text
        assert client.get("/api/gaps").json()["gaps"] == []
    app.state.store.close()


def test_results_are_cached_until_an_import_changes_the_store(tmp_path: Path) -> None:
    from cxgap.api import ResultCache

    url = f"duckdb:///{tmp_path / 'c.duckdb'}"
    with Store(url) as store:
        cache = ResultCache(store)
        calls: list[int] = []
        assert cache.get(("x",), lambda: calls.append(1) or len(calls)) == 1
        assert cache.get(("x",), lambda: calls.append(1) or len(calls)) == 1
        write_demo(store, simulate(200, seed=1))
        assert cache.get(("x",), lambda: calls.append(1) or len(calls)) == 2


def test_plain_turns_nan_into_null() -> None:
    assert plain({"a": float("nan"), "b": (1.0, float("inf"))}) == {"a": None, "b": [1.0, None]}


@pytest.mark.parametrize(
    ("path", "heading", "kind"),
    [
        ("/gaps", "Gap map", "customer"),
        ("/perception", "Perception", "perception"),
        ("/operations", "Operations", "implementation"),
    ],
)
def test_each_page_draws_its_charts_and_links_its_evidence(
    demo_client: TestClient, path: str, heading: str, kind: str
) -> None:
    page = demo_client.get(path)
    assert page.status_code == 200 and heading in page.text
    assert page.text.count("<svg") >= 1 and "<script" not in page.text
    link = re.search(rf'href="(/api/gaps\?kind={kind}&amp;touchpoint=[^"]*)"', page.text)
    assert link, f"no evidence link for {kind}"
    evidence = demo_client.get(link.group(1).replace("&amp;", "&")).json()["gaps"]
    assert evidence and all(g["kind"] == kind for g in evidence)


def test_pages_on_an_empty_store_explain_instead_of_failing(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    app = create_app(Settings(store=StoreSettings(url=url)))
    with TestClient(app) as client:
        for path in ("/", "/gaps", "/perception", "/operations"):
            page = client.get(path)
            assert page.status_code == 200 and "cxgap import" in page.text, path
    app.state.store.close()
