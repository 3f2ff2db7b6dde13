"""Benchmark: how fast the dashboard is from the first visit after an import, on a large demo store, against
the same server's static-file floor, through a real server over HTTP.

Usage: python benchmarks/page_speed.py [--customers 1000000] [--store PATH] [--rounds 10] [--clients 4]
       [--out docs/benchmarks.md]

Builds the demo store with `cxgap demo` (or reuses --store; keep it under /tmp), forgets every kept view
(as an import does: nothing is kept for the new store version), then starts the server (`cxgap serve`'s app
under Uvicorn) in its own process on 127.0.0.1, signed in as an analyst like a browser. Measured, in order:
1. the background computation of the default views, from the server's start until /api/progress says done;
2. the first default view of every page (goal under 2 s): the results are ready, the page renders once;
3. the first view of every page in each filter slice (goal under 5 s, risk under 10 s), a cold computation;
4. a restart on the same store: until its default views are ready again (read back from the store);
5. warm views: every view `--rounds` times from `--clients` concurrent clients (goal p95 under 300 ms);
and the floor, the static htmx file from the same server, in the same run. A page is timed until its whole
HTML has arrived (a script's request: the server waits for the results rather than answer "computing").
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from report import emit, machine

PAGES = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk")
SLICES = (
    {"segment": "consumer"},
    {"since": "2025-01", "until": "2025-06", "channel": "phone"},
    {"touchpoint": "support"},
)
USER, PASSWORD = "bench", "page speed benchmark password"
# `cxgap serve`'s app under Uvicorn, with the progress routes where the app does not include them yet
SERVE = """
import sys, uvicorn
from cxgap.api import create_app, progress
from cxgap.config import load_settings
app = create_app(load_settings())
if not any(getattr(route, "path", None) == "/api/progress" for route in app.routes):
    app.include_router(progress.router)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""
GOALS = {"first": 2.0, "slice": 5.0, "risk": 10.0, "warm_p95": 0.3}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(path: Path) -> dict[str, str]:
    return os.environ | {"CXGAP_STORE_URL": f"duckdb:///{path}"}


def _build(path: Path, customers: int) -> float:
    start = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "cxgap",
        "demo",
        "--customers",
        str(customers),
        "--no-analysis",
        "--no-loop",
    ]
    subprocess.run(command, env=_env(path), cwd=path.parent, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _prepare(path: Path) -> str:
    """As after an import: no view kept for the store's version; an analyst to sign in as. Their token."""
    from cxgap.access import add_user, issue_token, list_users, set_password
    from cxgap.store import Store

    with Store(f"duckdb:///{path}") as store:
        with store.begin() as conn:
            conn.exec_driver_sql("DELETE FROM view_results")
        users = list_users(store)
        if users.empty or USER not in set(users["user_id"]):
            add_user(store, USER, "analyst")
        set_password(store, USER, PASSWORD)
        return issue_token(store, USER)


@contextmanager
def _serve(path: Path) -> Iterator[tuple[str, float]]:
    """`cxgap serve` on the store; its base URL and when it was started (time.perf_counter)."""
    port = _port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=_env(path), cwd=path.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                httpx.get(f"{base}/sign-in", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            raise SystemExit("the server did not start")
        yield base, started
    finally:
        server.terminate()
        server.wait(timeout=120)


def _ready(base: str, token: str, started: float) -> tuple[float, dict[str, float]]:
    """Poll /api/progress until every default view is ready: seconds since the start, seconds per view."""
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        body = httpx.get(f"{base}/api/progress", headers=headers, timeout=60).json()
        if body["done"] and body["views"]:
            print(f"default views ready after {time.perf_counter() - started:.0f} s", file=sys.stderr)
            return time.perf_counter() - started, {v["name"]: v["seconds"] or 0.0 for v in body["views"]}
        time.sleep(1.0)


@contextmanager
def _client(base: str) -> Iterator[httpx.Client]:
    """A client signed in through the form, as a browser is (it keeps the session cookie)."""
    with httpx.Client(base_url=base, timeout=900) as client:
        form = client.get("/sign-in").text
        token = re.search(r'name="form_token" value="([^"]+)"', form)
        assert token, "no sign-in form"
        data = {"username": USER, "password": PASSWORD, "form_token": token.group(1), "next": "/"}
        client.post("/sign-in", data=data)
        yield client


def _get(client: httpx.Client, url: str, params: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = time.perf_counter() - start
    if response.status_code != 200 or 'id="loading"' in response.text:
        raise SystemExit(f"{url} {params}: HTTP {response.status_code}")
    return elapsed


def _warm(base: str, views: list[tuple[str, dict[str, str]]], rounds: int, clients: int) -> list[float]:
    jobs = [view for _ in range(rounds) for view in views]

    def run(chunk: list[tuple[str, dict[str, str]]]) -> list[float]:
        with _client(base) as client:
            return [_get(client, path, params) for path, params in chunk]

    with ThreadPoolExecutor(clients) as pool:
        return [t for times in pool.map(run, [jobs[i::clients] for i in range(clients)]) for t in times]


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _met(value: float, goal: float) -> str:
    return "yes" if value < goal else "**no**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, help="reuse this demo store (built there when missing)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    path = args.store or Path(tempfile.mkdtemp(prefix="cxgap-pages-")) / "demo.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    built = _build(path, args.customers) if not path.exists() else None
    token = _prepare(path)
    with _serve(path) as (base, started):
        precompute, per_view = _ready(base, token, started)
        with _client(base) as client:
            first = {page: _get(client, page, {}) for page in PAGES}
            sliced = {(page, i): _get(client, page, s) for i, s in enumerate(SLICES) for page in PAGES}
            rows = client.get("/api/status", headers={"Authorization": f"Bearer {token}"}).json()["rows"]
            static = [_get(client, "/static/htmx.min.js", {}) for _ in range(200)]
        views = [(page, {}) for page in PAGES] + [(page, s) for s in SLICES for page in PAGES]
        warm = _warm(base, views, args.rounds, args.clients)
    with _serve(path) as (base, started):
        restart, _ = _ready(base, token, started)
        with _client(base) as client:
            after_restart = {page: _get(client, page, {}) for page in PAGES}
    load = os.getloadavg()[1]  # the machine is shared: how busy it was over the last 5 minutes
    floor = statistics.median(static)
    worst_slice = max(t for (page, _), t in sliced.items() if page != "/risk")
    worst_risk = max(t for (page, _), t in sliced.items() if page == "/risk")
    slowest = sorted(per_view.items(), key=lambda kv: -kv[1])[:4]
    lines = [
        f"### Page speed on the {rows['customers']:,}-customer demo ({machine()})",
        "",
        f"- store: {rows['customers']:,} customers, {rows['responses']:,} responses, {rows['interactions']:,} "
        f"interactions, {rows['feedback']:,} feedback texts"
        + (f"; built by `cxgap demo` in {built:.0f} s" if built else ""),
        f"- slices: {'; '.join(', '.join(f'{k}={v}' for k, v in s.items()) for s in SLICES)}",
        f"- floor: the same server sending its static htmx file, median **{1000 * floor:.1f} ms**",
        f"- machine load at the end (5-minute load average, {os.cpu_count()} cores): {load:.1f}",
        "",
        "| measure | goal | measured | met |",
        "|---|---|---|---|",
        f"| default views computed in the background after the import (server start to done) | | {precompute:.0f} s "
        f"(slowest: {', '.join(f'{n} {s:.0f} s' for n, s in slowest)}) | |",
        f"| the same after a restart (read back from the store) | | {restart:.1f} s | |",
        f"| first default view of every page, worst (`{max(first, key=lambda p: first[p])}`) | < 2 s | "
        f"{max(first.values()):.2f} s | {_met(max(first.values()), GOALS['first'])} |",
        f"| first default view after a restart, worst | < 2 s | {max(after_restart.values()):.2f} s | "
        f"{_met(max(after_restart.values()), GOALS['first'])} |",
        f"| first view of a filter slice, worst page but risk | < 5 s | {worst_slice:.2f} s | "
        f"{_met(worst_slice, GOALS['slice'])} |",
        f"| first view of a filter slice, risk | < 10 s | {worst_risk:.2f} s | {_met(worst_risk, GOALS['risk'])} |",
        f"| warm views, {len(warm):,} requests from {args.clients} clients: p50 / p95 | p95 < 300 ms | "
        f"{1000 * statistics.median(warm):.0f} / {1000 * _p95(warm):.0f} ms "
        f"({statistics.median(warm) / floor:.1f}x the floor) | {_met(_p95(warm), GOALS['warm_p95'])} |",
        "",
        "| page | first default view (s) | after a restart (s) | "
        + " | ".join(f"slice {i + 1} (s)" for i in range(len(SLICES)))
        + " |",
        "|---|---|---|" + "---|" * len(SLICES),
    ]
    for page in PAGES:
        cells = " | ".join(f"{sliced[(page, i)]:.2f}" for i in range(len(SLICES)))
        lines.append(f"| `{page}` | {first[page]:.2f} | {after_restart[page]:.2f} | {cells} |")
    emit("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
