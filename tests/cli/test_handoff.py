"""While `cxgap serve` holds a DuckDB store, `cxgap import`, `users` and `cases` send their writes to it
through the hand-off file beside the database (issue 15), and say what to do when there is no live server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cxgap.access import AccessDenied, authenticate
from cxgap.store import Store
from tests.cli.test_first_data import CUSTOMERS_MAPPING, customers_csv

DEADLINE_S = 180.0  # a cold start imports torch and friends; generous, and polled, never slept through


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A `cxgap serve` subprocess on tmp_path's store, and where its hand-off file lies."""

    process: subprocess.Popen[bytes]
    url: str
    store_url: str
    handoff: Path

    def token(self) -> str:
        return str(json.loads(self.handoff.read_text(encoding="utf-8"))["token"])

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60)

    def eventually(self, path: str, token: str, check: Callable[[Any], bool]) -> bool:
        """Whether `path` answers something that passes `check` before the deadline (polled)."""
        deadline = time.monotonic() + DEADLINE_S
        while not check(self.get(path, token).json()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=60)


def _config(folder: Path, database: str, max_body_bytes: int = 5_000_000) -> str:
    url = f"duckdb:///{folder / database}"
    text = f'[store]\nurl = "{url}"\n\n[server]\nmax_body_bytes = {max_body_bytes}\n'
    text += '\n[cases.rules.detractor]\nwhen = "detractor"\n'  # the rule `cases open` runs
    (folder / "cxgap.toml").write_text(text, encoding="utf-8")
    return url


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A real server in another process (so DuckDB's file lock is real), up once /health answers and its
    hand-off file exists; stopped at the end, also when the test fails. Its body limit is 1,000 bytes, so
    an import is sent in several pieces."""
    url = _config(tmp_path, "team.duckdb", max_body_bytes=1_000)
    Store(url).close()  # migrated before the server starts: a faster, quieter start
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CXGAP_STORE_URL", "CXGAP_CONFIG")}
    process = subprocess.Popen(
        [sys.executable, "-m", "cxgap", "serve", "--host", "0.0.0.0", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    server = Served(process, f"http://127.0.0.1:{port}", url, tmp_path / "team.duckdb.server.json")
    try:
        deadline = time.monotonic() + DEADLINE_S
        while True:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "server died")
            try:
                up = httpx.get(f"{server.url}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                up = False
            if up:  # the hand-off is written while the server starts, before it answers anything
                assert server.handoff.exists(), "the server answers but left no hand-off file"
                break
            if time.monotonic() > deadline:
                raise AssertionError("the server did not answer /health within the deadline")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


@pytest.mark.slow  # a `cxgap serve` process of its own
def test_commands_write_through_the_running_server(cli, served: Served, tmp_path: Path) -> None:
    handoff = json.loads(served.handoff.read_text(encoding="utf-8"))
    assert handoff["url"] == served.url and handoff["pid"] == served.process.pid  # 127.0.0.1 for 0.0.0.0
    assert served.handoff.stat().st_mode & 0o777 == 0o600
    admin = served.token()
    assert served.get("/api/status", admin).json()["rows"]["customers"] == 0
    assert served.get("/api/filters", admin).json()["segments"] == []  # cached for this store version

    (tmp_path / "customers.csv").write_text(customers_csv(80), encoding="utf-8")  # > 1,000 bytes
    (tmp_path / "customers.toml").write_text(CUSTOMERS_MAPPING, encoding="utf-8")
    imported = cli("import", "customers.csv", "--mapping", "customers.toml")
    assert imported.exit_code == 0, imported.stderr
    assert (
        re.search(r"loaded\s+│?\s*80\b", imported.stdout) and "customers.csv -> customers" in imported.stdout
    )

    status = served.get("/api/status", admin).json()
    assert status["rows"]["customers"] == 80
    # the result cache moves on with the store's version (it may serve the old result while recomputing)
    assert served.eventually("/api/filters", admin, lambda body: "Month-to-month" in body["segments"])

    added = cli("users", "add", "ana", "--role", "analyst")
    assert added.exit_code == 0, added.stderr
    assert "Added ana (analyst). Token, shown only now:" in added.stdout
    ana = re.search(r"cxg_[\w-]+", added.stdout).group(0)  # type: ignore[union-attr]
    answer = served.get("/api/status", ana).json()
    assert answer["rows"]["customers"] == 80, answer

    again = cli("users", "add", "ana", "--role", "analyst")  # the server's 4xx: its one sentence, exit 2
    assert again.exit_code == 2 and "There is already a user 'ana'." in " ".join(again.stderr.split())
    assert cli("users", "revoke", ana).exit_code == 0
    assert served.get("/api/status", ana).status_code == 401

    opened = cli("cases", "open", "--since", "2024-01-01")
    assert opened.exit_code == 0 and "in all (run run-" in opened.stdout

    assert served.stop(signal.SIGINT) == 0  # Ctrl+C
    assert not served.handoff.exists()
    with Store(served.store_url) as store:
        with pytest.raises(AccessDenied, match="revoked"):
            authenticate(store, admin)
        assert store.count("customers") == 80


@pytest.mark.slow  # a `cxgap serve` process of its own
def test_the_import_through_the_server_prints_what_a_local_import_prints(
    cli, served: Served, tmp_path: Path
) -> None:
    (tmp_path / "customers.csv").write_text(customers_csv(30) + "bad,Two year,Maybe,x\n", encoding="utf-8")
    (tmp_path / "customers.toml").write_text(CUSTOMERS_MAPPING, encoding="utf-8")
    remote = cli("import", "customers.csv", "--mapping", "customers.toml")
    served.stop(signal.SIGTERM)
    assert not served.handoff.exists()
    _config(tmp_path, "local.duckdb")
    local = cli("import", "customers.csv", "--mapping", "customers.toml")
    assert remote.exit_code == local.exit_code == 2  # one row quarantined: the others are loaded

    def without_batch(text: str) -> str:
        return re.sub(r"batch\S*\s*│?\s*\S+", "batch", text)

    assert without_batch(remote.stdout) == without_batch(local.stdout)
    assert " ".join(remote.stderr.split()) == " ".join(local.stderr.split())


@pytest.mark.slow  # a `cxgap serve` process of its own
def test_reads_go_through_the_running_server_and_print_what_a_local_read_prints(
    cli, served: Served, tmp_path: Path
) -> None:
    """`cxgap status`, `users list` and `cases list` are read by the server that holds the DuckDB file;
    any other reading command says in one sentence where the same figures are."""
    (tmp_path / "customers.csv").write_text(customers_csv(40), encoding="utf-8")
    (tmp_path / "customers.toml").write_text(CUSTOMERS_MAPPING, encoding="utf-8")
    assert cli("import", "customers.csv", "--mapping", "customers.toml").exit_code == 0
    assert cli("users", "add", "ana", "--role", "analyst").exit_code == 0
    remote = {name: cli(*name.split()) for name in ("status", "users list", "cases list")}
    for name, result in remote.items():
        assert result.exit_code == 0, (name, result.stderr)
    assert re.search(r"customers\s*│?\s*40\b", remote["status"].stdout)
    assert "customers" in remote["status"].stdout and "ana" in remote["users list"].stdout
    assert "local-admin" in remote["users list"].stdout  # the server's own hand-off user

    analysis = cli("analyze")
    said = " ".join(analysis.stderr.split())
    assert analysis.exit_code == 2 and "Traceback" not in said
    assert f"held by `cxgap serve` (pid {served.process.pid})" in said and served.url in said

    served.stop(signal.SIGTERM)
    local = {name: cli(*name.split()) for name in ("status", "cases list")}
    assert local["status"].stdout == remote["status"].stdout
    assert local["cases list"].stdout == remote["cases list"].stdout


@pytest.fixture
def held(tmp_path: Path) -> Iterator[str]:
    """The store's DuckDB file held open by another process that is no cxgap server."""
    url = _config(tmp_path, "team.duckdb")
    Store(url).close()
    code = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "team.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield url
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=60)


def test_a_stale_handoff_says_what_to_do(cli, held: str, tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    handoff = tmp_path / "team.duckdb.server.json"
    handoff.write_text(
        json.dumps({"url": "http://127.0.0.1:9", "pid": gone.pid, "token": "cxg_a_b", "max_body_bytes": 9}),
        encoding="utf-8",
    )
    stale = cli("users", "add", "bob", "--role", "viewer")
    said = " ".join(stale.stderr.split())
    assert stale.exit_code == 2 and f"(pid {gone.pid}) is no longer running" in said
    assert "restart `cxgap serve` with this cxgap version" in said and said.count(". ") == 0

    handoff.unlink()
    missing = cli("import", "customers.csv", "--preset", "qualtrics")
    said = " ".join(missing.stderr.split())
    assert missing.exit_code == 2 and "is in use by python" in said
    assert "not by cxgap; close the store there, then run this command again" in said


def test_ctrl_c_while_the_server_imports_says_the_server_finishes_it(tmp_path: Path) -> None:
    """Once the server has the whole file, Ctrl+C stops the command, not the server's import: the command
    says so (it used to say nothing was kept, and the server then stored every row). The server here is a
    stand-in that holds the import request open, so the signal always arrives while the command waits on it;
    this process holds the DuckDB file, as a server would."""
    import http.server
    import threading

    import duckdb

    url = _config(tmp_path, "team.duckdb")
    Store(url).close()
    importing = threading.Event()
    release = threading.Event()

    class StandIn(http.server.BaseHTTPRequestHandler):
        def _answer(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # /health
            self._answer({"status": "ok"})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/api/admin/import":
                importing.set()
                release.wait(60)
            self._answer({})

        def log_message(self, *args: Any) -> None:
            pass

    stand_in = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    handoff = {
        "url": f"http://127.0.0.1:{stand_in.server_address[1]}",
        "token": "cxg_x_y",
        "pid": os.getpid(),
        "max_body_bytes": 5_000_000,
    }
    (tmp_path / "team.duckdb.server.json").write_text(json.dumps(handoff), encoding="utf-8")
    (tmp_path / "customers.csv").write_text(customers_csv(30), encoding="utf-8")
    (tmp_path / "customers.toml").write_text(CUSTOMERS_MAPPING, encoding="utf-8")
    holder = duckdb.connect(str(tmp_path / "team.duckdb"))
    command = subprocess.Popen(
        [sys.executable, "-m", "cxgap", "import", "customers.csv", "--mapping", "customers.toml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert importing.wait(DEADLINE_S), command.stderr.read().decode() if command.stderr else ""
        command.send_signal(signal.SIGINT)
        _, stderr = command.communicate(timeout=60)
    finally:
        release.set()
        stand_in.shutdown()
        holder.close()
    said = " ".join(stderr.decode().split())
    assert command.returncode == 130, said
    assert "finishes the import on its own" in said and "nothing" not in said and "Traceback" not in said


def test_a_store_another_command_holds_is_said_to_be_held_by_that_command(cli, tmp_path: Path) -> None:
    """Two commands cannot share a DuckDB file; the second names the first (from the pid DuckDB reports)
    and says to wait for it, instead of blaming a server that is not running."""
    url = _config(tmp_path, "team.duckdb")
    Store(url).close()
    holder = (
        tmp_path / "cxgap"
    )  # stands for the installed `cxgap` script: its command line reads "cxgap text"
    holder.write_text(
        "import sys\nimport duckdb\nheld = duckdb.connect(sys.argv[2])\nprint('ready', flush=True)\nsys.stdin.read()\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, str(holder), "text", str(tmp_path / "team.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        result = cli("report")
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=60)
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "Traceback" not in said
    assert f"is in use by `cxgap text` (pid {process.pid}); run this command once it has finished" in said
    assert "cxgap serve" not in said
