"""/docs works without the internet (issue 15): Swagger UI's page names only this server's URLs, its files
come from the package, and in a browser cut off from everything but 127.0.0.1 it lists the operations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import sign_in, signed_up


@pytest.fixture
def docs_app(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """An app on an empty store with an analyst (ana) and a viewer who can sign in; their tokens."""
    url = f"duckdb:///{tmp_path / 'docs.duckdb'}"
    with Store(url) as store:
        tokens = signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    yield app, tokens
    app.state.store.close()


def test_docs_name_only_local_urls_and_those_serve_swagger_ui(docs_app: tuple[Any, dict[str, str]]) -> None:
    app, tokens = docs_app
    with TestClient(app, headers={"Authorization": f"Bearer {tokens['ana']}"}) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert re.findall(r"https?://", page.text) == [], "the docs page names another host"
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
        assert {Path(a).suffix for a in assets} == set(kinds), assets
        for asset in assets:
            assert asset.startswith("/static/"), asset
            served = client.get(asset)
            assert served.status_code == 200, asset
            assert served.headers["content-type"].startswith(kinds[Path(asset).suffix]), asset
        assert "SwaggerUIBundle" in client.get("/static/swagger-ui/swagger-ui-bundle.js").text
        assert client.get("/static/swagger-ui/index.html").status_code == 404
        assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def test_docs_list_the_operations_in_a_browser_that_reaches_only_this_server(
    docs_app: tuple[Any, dict[str, str]], chromium: Any
) -> None:
    app, _ = docs_app
    with serving(app) as base, httpx.Client(base_url=base, timeout=120) as client:
        sign_in(client, "ana")
        context = chromium.new_context()
        context.add_cookies(
            [{"name": c.name, "value": c.value or "", "url": base} for c in client.cookies.jar]
        )
        refused: list[str] = []

        def only_here(route: Any) -> None:
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        context.route("**/*", only_here)
        tab = context.new_page()
        try:
            tab.goto(base + "/docs", timeout=120_000)
            tab.wait_for_selector(".opblock", timeout=120_000)
            operations = tab.locator(".opblock").count()
        finally:
            context.close()
    assert operations >= 10 and refused == []
