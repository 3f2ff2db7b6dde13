"""`cxgap serve` starts a real server on 127.0.0.1 that answers pages and API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from tests.api.signing import sign_in, signed_up


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_pages_and_api(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'serve.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(1_000, seed=3))
        token = signed_up(store)["ana"]
    port = _free_port()
    env = os.environ | {"CXGAP_STORE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "cxgap", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                status = httpx.get(
                    f"{base}/api/status", headers={"Authorization": f"Bearer {token}"}, timeout=2
                )
                break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            raise AssertionError(
                server.stderr.read().decode() if server.poll() is not None else "server did not start"
            )
        assert status.json()["rows"]["customers"] == 1_000
        assert httpx.get(f"{base}/", timeout=60).status_code == 303  # to the sign-in page
        with httpx.Client(base_url=base, timeout=60) as person:
            sign_in(person, "ana")
            page = person.get("/")
        assert page.status_code == 200 and "Where to act first" in page.text
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_says_how_to_add_a_person_when_nobody_can_sign_in(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cxgap.cli.handoff

    url = f"duckdb:///{tmp_path / 'serve.duckdb'}"
    monkeypatch.setenv("CXGAP_STORE_URL", url)
    monkeypatch.setattr(cxgap.cli.handoff, "run_server", lambda *args: None)  # start nothing: the words only
    first = cli("serve")
    assert first.exit_code == 0 and "Nobody can sign in to the pages yet" in " ".join(first.stdout.split())
    with Store(url) as store:
        signed_up(store)
    again = cli("serve")
    assert again.exit_code == 0 and "Nobody can sign in" not in again.stdout


def test_serve_on_a_port_another_server_holds_is_one_sentence(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXGAP_STORE_URL", f"duckdb:///{tmp_path / 'serve.duckdb'}")
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = int(other.getsockname()[1])
        result = cli("serve", "--port", str(taken))
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert f"Cannot listen on 127.0.0.1:{taken}" in said and "choose one with --port" in said
    assert "Traceback" not in result.stderr and not (tmp_path / "serve.duckdb").exists()
    elsewhere = cli("serve", "--host", "192.0.2.1", "--port", str(_free_port()))  # TEST-NET-1: not ours
    assert elsewhere.exit_code == 2 and "Cannot listen on 192.0.2.1:" in " ".join(elsewhere.stderr.split())
