"""Benchmark: dashboard page times on a large demo store, against the same server's static-file floor.

Usage: python benchmarks/page_speed.py [--customers 1000000] [--store PATH] [--rounds 20] [--clients 4]
       [--out docs/benchmarks.md]

Builds (or reuses, with --store) a demo store, starts `cxgap serve` in its own process on 127.0.0.1 and asks
for every page in several filtered views, as a browser would (whole HTML pages). First the cold pass: each
view once, which computes and caches it (the time a first visitor waits after an import). Then the warm
passes: every view `--rounds` times, from `--clients` concurrent clients; p50/p95/max per page. The baseline,
measured in the same run on the same server, is the static htmx file: the server's floor per request.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from report import emit, machine

PAGES = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text")
SLICES = (
    {},
    {"segment": "consumer"},
    {"since": "2025-01", "until": "2025-06", "channel": "phone"},
    {"touchpoint": "support"},
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _build(path: Path, customers: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cxgap", "demo", "--customers", str(customers), "--no-analysis"],
        env=os.environ | {"CXGAP_STORE_URL": f"duckdb:///{path}"},
        cwd=path.parent,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _serve(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cxgap", "serve", "--port", str(port)],
        env=os.environ | {"CXGAP_STORE_URL": f"duckdb:///{path}"},
        cwd=path.parent,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(f"{base}/api/status", timeout=5)
            return server, base
        except httpx.TransportError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the server did not start")


def _get(client: httpx.Client, url: str, params: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{url} {params}: HTTP {response.status_code}")
    return elapsed


def _warm(
    base: str, views: list[tuple[str, dict[str, str]]], rounds: int, clients: int
) -> dict[str, list[float]]:
    jobs = [view for _ in range(rounds) for view in views]

    def run(chunk: list[tuple[str, dict[str, str]]]) -> list[tuple[str, float]]:
        with httpx.Client(base_url=base, timeout=120) as client:
            return [(path, _get(client, path, params)) for path, params in chunk]

    chunks = [jobs[i::clients] for i in range(clients)]
    times: dict[str, list[float]] = {}
    with ThreadPoolExecutor(clients) as pool:
        for result in pool.map(run, chunks):
            for path, seconds in result:
                times.setdefault(path, []).append(seconds)
    return times


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, help="reuse this demo store (built there when missing)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cxgap-pages-"))
    path = args.store or folder / "demo.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    built = _build(path, args.customers) if not path.exists() else None
    server, base = _serve(path)
    try:
        views = [(page, params) for params in SLICES for page in PAGES]
        with httpx.Client(base_url=base, timeout=600) as client:
            cold = [(page, params, _get(client, page, params)) for page, params in views]
            rows = httpx.get(f"{base}/api/status").json()["rows"]
            static = [_get(client, "/static/htmx.min.js", {}) for _ in range(200)]
        warm = _warm(base, views, args.rounds, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    every = [t for times in warm.values() for t in times]
    floor = statistics.median(static)
    lines = [
        f"### Dashboard pages on the {rows['customers']:,}-customer demo ({machine()})",
        "",
        f"- store: {rows['customers']:,} customers, {rows['responses']:,} responses, {rows['response_items']:,} item "
        f"ratings, {rows['interactions']:,} interactions, {rows['feedback']:,} feedback texts"
        + (f"; built by `cxgap demo` in {built:.0f} s" if built else ""),
        f"- views: {len(PAGES)} pages x {len(SLICES)} filter slices ({', '.join(str(s or 'none') for s in SLICES)})",
        f"- warm: {len(every):,} requests from {args.clients} concurrent clients; p50 **{1000 * statistics.median(every):.1f} ms**, "
        f"p95 **{1000 * _p95(every):.1f} ms**, max {1000 * max(every):.1f} ms (target: p95 under 300 ms)",
        f"- baseline, the same server sending its static htmx file: median {1000 * floor:.1f} ms; warm page p50 / "
        f"baseline = **{statistics.median(every) / floor:.1f}x**",
        "",
        "| page | warm p50 ms | warm p95 ms | cold, first view after an import (s): none / segment / period+channel / touchpoint |",
        "|---|---|---|---|",
    ]
    for page in PAGES:
        firsts = " / ".join(f"{t:.2f}" for p, _, t in cold if p == page)
        times = warm[page]
        lines.append(
            f"| `{page}` | {1000 * statistics.median(times):.1f} | {1000 * _p95(times):.1f} | {firsts} |"
        )
    emit("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
