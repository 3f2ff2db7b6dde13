"""Limits that hold before any work (issue 15): oversized bodies are refused before they are read or the
token is checked, only `Authorization: Bearer <token>` is a token, filter values the data does not hold
never reach a query, and a page that does not exist is an HTML page, not JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import ServerSettings, StoreSettings, demo_settings, settings_from_dict
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import sign_in, signed_up

BIG, PIECE = 50_000_000, 1 << 16


def _pieces(total: int) -> Iterator[bytes]:
    """`total` bytes in 64 KiB pieces, made as they are sent (the client never holds the body)."""
    piece = b"x" * PIECE
    for _ in range(total // PIECE):
        yield piece
    yield b"x" * (total % PIECE)


def _peak_kib() -> int:
    """This process's peak resident memory (VmHWM) since the last reset, in KiB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def _reset_peak() -> None:
    """Start VmHWM again from the current resident memory, so the next read is this request's peak."""
    Path("/proc/self/clear_refs").write_text("5")


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_a_50_mb_body_without_a_token_is_refused_before_it_is_read(tmp_path: Path, declared: bool) -> None:
    """The server (Uvicorn in this process on 127.0.0.1) answers 413 and its peak memory grows by less
    than 20 MB, whether the body says its length or streams in chunks."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("this kernel cannot reset the peak-memory counter")
    app = create_app(
        demo_settings(store=StoreSettings(url=f"duckdb:///{tmp_path / 'limits.duckdb'}"), server=ON_DEMAND)
    )
    try:
        with serving(app) as base, httpx.Client(base_url=base, timeout=300) as client:
            assert client.post("/api/ingest/responses", content=b"[]").status_code == 401  # warm
            headers = {"Content-Type": "application/json"}
            if declared:
                headers["Content-Length"] = str(BIG)
            _reset_peak()
            before = _peak_kib()
            refused = client.post("/api/ingest/responses", content=_pieces(BIG), headers=headers)
            grown_mb = (_peak_kib() - before) / 1024
    finally:
        app.state.store.close()
    assert refused.status_code == 413, refused.text[:300]
    assert refused.json()["detail"] == (
        "The request body is larger than this server accepts (5,000,000 bytes); "
        "send the data in smaller batches."
    )
    assert grown_mb < 20, f"the server's memory grew by {grown_mb:.0f} MB for a refused body"


def test_the_body_limit_is_read_from_cxgap_toml_and_pages_get_html(tmp_path: Path) -> None:
    assert demo_settings().server.max_body_bytes == 5_000_000
    settings = settings_from_dict(
        {"store": {"url": f"duckdb:///{tmp_path / 'small.duckdb'}"}, "server": {"max_body_bytes": 1000}}
    )
    assert settings.server == ServerSettings(max_body_bytes=1000)
    app = create_app(settings)
    with TestClient(app) as client:
        page = client.post("/gaps", content=b"x" * 1001)
        assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
        assert "larger than this server accepts (1,000 bytes)" in page.text
        streamed = client.post("/api/ingest/responses", content=_pieces(5000))
        assert streamed.status_code == 413 and "1,000 bytes" in streamed.json()["detail"]
        within = client.post("/api/ingest/responses", content=b"[]")
        assert within.status_code == 401  # small bodies go on to the token check as before
    app.state.store.close()


@pytest.mark.parametrize(
    "header",
    ["{token}", "Token {token}", "Bearer", "Bearer  {token}", "Bearer {token} extra", "Basic {token}"],
)
def test_only_a_bearer_header_carries_a_token(api: tuple[TestClient, Any, Store], header: str) -> None:
    client, headers, _ = api
    token = headers["ana"]["Authorization"].removeprefix("Bearer ")
    refused = client.get("/api/cases", headers={"Authorization": header.format(token=token)})
    assert refused.status_code == 401
    assert refused.json()["detail"] == (
        "The Authorization header is not understood; send it as 'Authorization: Bearer cxg_<id>_<secret>'."
    )
    for scheme in ("Bearer", "bearer", "BEARER"):
        assert client.get("/api/cases", headers={"Authorization": f"{scheme} {token}"}).status_code == 200


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client signed in as an analyst (pages) who also sends the analyst's token (API), on a demo store."""
    url = f"duckdb:///{tmp_path_factory.mktemp('filters') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(400, seed=3))
        tokens = signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app, headers={"Authorization": f"Bearer {tokens['ana']}"}) as client:
        sign_in(client, "ana")
        yield client
    app.state.store.close()


@pytest.mark.parametrize("name", ["segment", "channel", "touchpoint"])
@pytest.mark.parametrize("value", ["\x00", "nowhere", "support'; DROP TABLE customers; --", "a\nb"])
def test_a_filter_value_the_data_does_not_hold_is_a_400_naming_what_is_allowed(
    demo: TestClient, name: str, value: str
) -> None:
    known = getattr(demo.app.state.dashboard.choices(), f"{name}s")  # type: ignore[attr-defined]
    api = demo.get("/api/gaps", params={name: value})
    assert api.status_code == 400, api.text[:300]
    sentence = api.json()["detail"]
    assert sentence.startswith(f"{name} = ") and sentence.endswith(f"choose one of: {', '.join(known)}.")
    assert "\x00" not in sentence and "\n" not in sentence
    page = demo.get("/gaps", params={name: value})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert sentence.replace("'", "&#39;") in page.text
    assert demo.get("/api/gaps", params={name: known[0]}).status_code == 200


@pytest.mark.parametrize("month", ["2025-07\x00", "2025-07\n", "\x00"])
def test_a_month_with_a_control_character_is_a_400_not_a_query(demo: TestClient, month: str) -> None:
    api = demo.get("/api/gaps", params={"since": month})
    assert api.status_code == 400, api.text[:300]
    assert "write it as YYYY-MM" in api.json()["detail"] and "\x00" not in api.json()["detail"]
    assert demo.get("/gaps", params={"until": month}).status_code == 400


def test_an_unknown_page_is_an_html_404_and_an_unknown_api_path_json(demo: TestClient) -> None:
    page = demo.get("/nonexistent")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no page at /nonexistent" in page.text and "<html" in page.text.lower()
    api = demo.get("/api/nonexistent")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
