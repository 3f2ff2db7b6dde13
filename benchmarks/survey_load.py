"""Benchmark: 1,000 respondents submitting a hosted survey at once, against baselines measured in the same run.

Usage: python benchmarks/survey_load.py [--respondents 1000] [--double 100] [--customers 20000]
       [--backends duckdb,postgresql] [--pg-url URL] [--out docs/benchmarks.md]

Per backend it writes a demo store (`simulate` + `write_demo`; PostgreSQL: a fresh database on --pg-url,
dropped afterwards), publishes an NPS survey with a comment question, creates one invitation link per
respondent and phase for the demo's customers, starts the app under Uvicorn in a child process on
127.0.0.1 (the webhook rate limit raised out of the way, background view computation off: this measures
the write path) and sends, in each phase, every request at once (asyncio, one connection each):

(a) baseline: GET /health, the server's floor per request;
(b) baseline: webhook ingest of the same kind of record (one NPS answer with a comment per call, through
    the group commit that batches concurrent calls);
(c) the respondents submit the one-page form, POST /s/<token>, --double of them twice at once;
(d) the respondents submit JSON, POST /api/respond/<token> (the widget's path), --double twice.

Throughput is answers stored per second of the phase's wall time (first request sent to last answer);
latencies are per request as the clients see them, so at 1,000 at once they are mostly the queue. After
the run every invitation must be answered exactly once and every record stored once.
With --out the "Survey submissions under load" section of that file is replaced by the new figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import tempfile
import time
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import serve_load
import sqlalchemy as sa
from serve_load import PG_URL, _q, database

from report import machine

SECTION = "## Survey submissions under load"
SURVEY = "load"
PER_CLIENT = 25  # connections per HTTP client
Request = tuple[str, str, dict[str, Any]]  # method, path, httpx keywords


@dataclass
class Phase:
    """What one phase's requests saw: latency and status per request, the wall time, the peak in flight."""

    name: str
    latency: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    wall: float = 0.0
    peak: int = 0
    stored: int = 0
    once: bool = True


@dataclass(frozen=True)
class Setup:
    """The store's contents for the phases: the webhook token, customers, and each phase's links."""

    token: str
    customers: list[str]
    links: dict[str, list[tuple[str, str]]]  # phase -> (customer id, token)
    seconds: dict[str, float]
    questions: tuple[str, ...]  # the survey's question ids, and the comment's
    comment: str


def serve(url: str, port: int) -> None:
    """The child process: the app on `url` on 127.0.0.1:`port`, views computed only when asked for."""
    import uvicorn

    from cxgap.api import create_app
    from cxgap.api.limits import RateLimiter
    from cxgap.config import ServerSettings, Settings, StoreSettings

    app = create_app(Settings(store=StoreSettings(url=url), server=ServerSettings(precompute=False)))
    app.state.dashboard.rate_limiter = RateLimiter(10**9, burst=10**6)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=4096)


def server(url: str) -> AbstractContextManager[str]:
    """This benchmark's server (`--serve`, below) in a child process, ready once /health answers."""
    return serve_load.server(url, script=__file__, ready="/health")


def open_files(needed: int) -> None:
    """Let this process (and the server it starts, which inherits the limit) hold `needed` open files, up
    to the hard limit: a soft limit of 1,024 would refuse connections before the respondents all overlap."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (needed if hard == resource.RLIM_INFINITY else min(needed, hard), hard)
        )


def build(url: str, customers: int, respondents: int, seed: int) -> Setup:
    """The demo, a webhook user, the published survey and one link per respondent in phases (c) and (d)."""
    from cxgap.access import add_user, issue_token
    from cxgap.config import Settings, StoreSettings
    from cxgap.demo import simulate, write_demo
    from cxgap.store import Store
    from cxgap.surveys.catalog import create_survey, publish
    from cxgap.surveys.links import new_invitation
    from cxgap.surveys.templates import template

    settings = Settings(store=StoreSettings(url=url))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    seconds = {}
    with Store(url) as store:
        start = time.perf_counter()
        data = simulate(customers, seed)
        write_demo(store, data)
        seconds["demo"] = time.perf_counter() - start
        add_user(store, "hook", "analyst")
        token = issue_token(store, "hook")
        ids = [str(i) for i in data.tables["customers"].column("customer_id").to_pylist()]
        if len(ids) < 3 * respondents:
            raise SystemExit(f"--customers {customers} is too few for 3 x {respondents} respondents")
        start = time.perf_counter()
        definition = template("nps", settings, name=SURVEY).model_copy(update={"layout": "one_page"})
        create_survey(store, definition, by="benchmark", now=now)
        publish(store, SURVEY, now=now)
        links: dict[str, list[tuple[str, str]]] = {"form": [], "json": []}
        with store.begin() as conn:  # one transaction for all the links: a quick setup
            for n, phase in enumerate(links, start=1):
                for customer in ids[n * respondents : (n + 1) * respondents]:
                    link = new_invitation(
                        store, settings, SURVEY, "customer", customer, "manual", now, conn=conn
                    )
                    links[phase].append((customer, link.token))
        seconds["invitations"] = time.perf_counter() - start
    questions = tuple(q.id for q in definition.questions)
    comment = next(q.id for q in definition.questions if q.type == "comment")
    return Setup(token, ids[:respondents], links, seconds, questions, comment)


def _answer(number: int) -> tuple[int, str]:
    """What respondent `number` answers: NPS spread over 0-10 (a third detract) and a comment."""
    return number % 11, f"Answer {number}: the installer came {number % 5} days late."


async def burst(base: str, phase: Phase, requests: list[Request]) -> None:
    """Send every request (method, path, httpx keywords) at once, one connection each; fill `phase`.
    Each client holds PER_CLIENT connections: one client holding a thousand spends its time (and the
    server's CPU, on two cores) scanning its own pool."""
    in_flight = 0

    async def one(client: httpx.AsyncClient, method: str, path: str, options: dict[str, Any]) -> None:
        nonlocal in_flight
        in_flight += 1
        phase.peak = max(phase.peak, in_flight)
        start = time.perf_counter()
        try:
            reply = await client.request(method, path, **options)
            phase.statuses[reply.status_code] += 1
        except httpx.TransportError:
            phase.statuses[0] += 1
        phase.latency.append(time.perf_counter() - start)
        in_flight -= 1

    async def group(part: list[Request]) -> None:
        limits = httpx.Limits(max_connections=len(part))
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=600) as client:
            await asyncio.gather(*(one(client, *r) for r in part))

    start = time.perf_counter()
    await asyncio.gather(*(group(requests[i : i + PER_CLIENT]) for i in range(0, len(requests), PER_CLIENT)))
    phase.wall = time.perf_counter() - start


def requests_for(kind: str, setup: Setup, double: int) -> list[Request]:
    """The phase's requests: health checks, webhook calls, or form/JSON submissions (some twice)."""
    if kind == "health":
        return [("GET", "/health", {}) for _ in setup.customers]
    if kind == "webhook":
        return _webhook(setup)
    return _submissions(kind, setup, double)


def _webhook(setup: Setup) -> list[Request]:
    """One webhook call per answer, each record what a survey submission stores (NPS and a comment)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    hook = {"Authorization": f"Bearer {setup.token}"}
    out: list[Request] = []
    for n, customer in enumerate(setup.customers):
        nps, comment = _answer(n)
        record = {
            "response_id": f"W{n:05d}",
            "customer_id": customer,
            "responded_at": now,
            "survey_kind": "relational",
            "channel": "survey",
            "nps": nps,
            "comment": comment,
        }
        out.append(("POST", "/api/ingest/responses", {"json": [record], "headers": hook}))
    return out


def _submissions(kind: str, setup: Setup, double: int) -> list[Request]:
    """Each link's answers posted as the one-page form does (`form`) or as JSON (`json`); `double` of them
    twice in a row (a double click: both sent at once)."""
    out: list[Request] = []
    every = max(1, len(setup.links[kind]) // double) if double else 0
    for n, (_, token) in enumerate(setup.links[kind]):
        nps, comment = _answer(n)
        request: Request
        if kind == "form":
            form = {"lang": "en", "shown": " ".join(setup.questions), "action": "submit"}
            request = ("POST", f"/s/{token}", {"data": form | {"nps": str(nps), setup.comment: comment}})
        else:
            answers = {"nps": nps, setup.comment: comment}
            request = ("POST", f"/api/respond/{token}", {"json": {"answers": answers}})
        twice = every and n % every == 0 and n // every < double
        out += [request, request] if twice else [request]
    return out


def check(url: str, setup: Setup, phases: dict[str, Phase]) -> None:
    """Count what each phase stored; `once`: every record or invitation exactly once, none lost."""
    from cxgap.store import Store

    with Store(url) as store, store.engine.connect() as conn:
        webhook = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT response_id) FROM responses WHERE response_id LIKE 'W%'")
        ).one()
        invitations = conn.execute(
            sa.text(
                "SELECT i.recipient_id, i.status, i.response_id, r.response_id FROM survey_invitations i "
                "LEFT JOIN responses r ON r.response_id = i.response_id WHERE i.survey = :s"
            ),
            {"s": SURVEY},
        ).all()
        rows = conn.execute(sa.text("SELECT count(*) FROM responses WHERE survey = :s"), {"s": SURVEY}).one()
    phases["webhook"].stored = int(webhook[0])
    phases["webhook"].once = webhook[0] == webhook[1] == len(setup.customers)
    for kind in ("form", "json"):
        mine = {c for c, _ in setup.links[kind]}
        answered = [i for i in invitations if i[0] in mine and i[1] == "answered" and i[3] is not None]
        phases[kind].stored = len({i[2] for i in answered})
        phases[kind].once = phases[kind].stored == len(mine)
    total = sum(phases[k].stored for k in ("form", "json"))
    for kind in ("form", "json"):  # no response without its invitation, none twice
        phases[kind].once = phases[kind].once and int(rows[0]) == total


def replace_section(path: Path, body: str) -> None:
    """Put `body` under this benchmark's heading in `path`, replacing that section if present (the file's
    other sections stay as they are)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find(SECTION + "\n")
    if start >= 0:
        following = text.find("\n## ", start + len(SECTION))
        text = text[:start] + (text[following + 1 :] if following >= 0 else "")
    path.write_text(text.rstrip("\n") + "\n\n" + body, encoding="utf-8")


def _ms(values: list[float], p: int) -> str:
    return f"{1000 * _q(values, p):.0f}" if values else "–"


def _row(name: str, kind: str, phase: Phase) -> str:
    """One phase's line of the table (the /health phase stores nothing: its rate is requests/s)."""
    served = len(phase.latency)
    rate = f"({served / phase.wall:.0f} req/s)" if kind == "health" else f"{phase.stored / phase.wall:.0f}"
    stored = "–" if kind == "health" else f"{phase.stored:,}"
    once = "–" if kind == "health" else ("yes" if phase.once else "**NO**")
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(phase.statuses.items()))
    times = " | ".join(_ms(phase.latency, p) for p in (50, 95, 99))
    return (
        f"| {name} | {served:,} | {phase.peak:,} | {phase.wall:.1f} | {stored} | {rate} | {times} "
        f"| {statuses} | {once} |"
    )


def run_backend(backend: str, args: argparse.Namespace, folder: Path) -> str:
    """All phases on one backend; its Markdown section."""
    phases = {kind: Phase(kind) for kind in ("health", "webhook", "form", "json")}
    with database(backend, args.pg_url, folder) as url:
        setup = build(url, args.customers, args.respondents, args.seed)
        with server(url) as base:
            httpx.get(f"{base}/health")  # the first request pays for nothing the phases measure
            for kind, phase in phases.items():
                asyncio.run(burst(base, phase, requests_for(kind, setup, args.double)))
        check(url, setup, phases)
    return section(backend, args, setup, phases)


def section(backend: str, args: argparse.Namespace, setup: Setup, phases: dict[str, Phase]) -> str:
    """One backend's heading, checks and table."""
    names = {
        "health": "(a) baseline: GET /health",
        "webhook": "(b) baseline: webhook ingest, 1 answer per call",
        "form": "(c) survey form, `POST /s/<token>`",
        "json": "(d) survey JSON, `POST /api/respond/<token>`",
    }
    lines = [
        f"### {backend}, {args.customers:,}-customer demo, {args.respondents:,} respondents at once "
        f"({machine()})",
        "",
        f"- demo written in {setup.seconds['demo']:.0f} s; survey published and "
        f"{2 * args.respondents:,} links created in {setup.seconds['invitations']:.1f} s",
        "",
        "| phase | requests | peak in flight | wall s | answers stored | stored/s | p50 ms | p95 ms | p99 ms "
        "| statuses | exactly once |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(names[kind], kind, phase) for kind, phase in phases.items()]
    hook, health = phases["webhook"], phases["health"]
    lines.append("")
    for kind in ("form", "json"):
        phase = phases[kind]
        rate, baseline = phase.stored / phase.wall, hook.stored / hook.wall
        p50 = _q(phase.latency, 50) / _q(health.latency, 50)
        p95 = _q(phase.latency, 95) / _q(health.latency, 95)
        lines.append(
            f"- {kind}: {rate:.0f} answers/s, {rate / baseline:.2f}x the webhook's records/s; "
            f"p50 {p50:.1f}x and p95 {p95:.1f}x the /health baseline's"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000)
    parser.add_argument("--double", type=int, default=100, help="respondents who submit twice at once")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default="duckdb,postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--note", default="", help="a sentence to put under the section heading")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if not 0 < args.respondents <= 5_000 or not 0 <= args.double <= args.respondents:
        raise SystemExit("--respondents must be 1-5,000 and --double at most --respondents")
    open_files(2 * (args.respondents + args.double) + 1_000)
    folder = Path(tempfile.mkdtemp(prefix="cxgap-survey-load-"))
    sections = [run_backend(b.strip(), args, folder) for b in args.backends.split(",") if b.strip()]
    body = "\n".join(
        [
            SECTION,
            "",
            "`python benchmarks/survey_load.py --out docs/benchmarks.md` (defaults: 20,000-customer demo, "
            "1,000 respondents, 100 of them submitting twice at once). Every phase sends all its requests at "
            "once, one connection each (asyncio clients of 25 connections), to the server in its own process on "
            "127.0.0.1 (background view computation off); latencies are per request as the clients see "
            "them, so at 1,000 at once they are mostly the time spent queueing. `stored/s`: answers stored "
            "per second of the phase's wall time. The baselines run in the same server in the same run: "
            "(a) the floor per request, (b) the same answers sent by webhook, one per call.",
            "",
            *([args.note, ""] if args.note else []),
            *sections,
        ]
    )
    print(body)
    if args.out:
        replace_section(args.out, body)


if __name__ == "__main__":
    main()
