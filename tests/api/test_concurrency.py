"""Twenty webhook clients on 127.0.0.1 deliver 5,000 responses (in batches, some twice, retrying on 429)
while case workers update the cases they open: afterwards every response is stored exactly once, every
detractor has exactly one case, and every accepted case update is in the audit log (none lost)."""

from __future__ import annotations

import datetime as dt
import queue
import random
import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cxgap.access import add_user, issue_token
from cxgap.api import create_app
from cxgap.api.limits import RateLimiter
from cxgap.config import StoreSettings, demo_settings
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.server import TickingClock, serving

RESPONSES, BATCH, SENDERS, WORKERS = 5_000, 20, 20, 4
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _batches() -> list[list[dict[str, Any]]]:
    rng = random.Random(7)
    rows = [
        {
            "response_id": f"R{i:05d}",
            "responded_at": NOW,
            "survey_kind": "transactional",
            "touchpoint": "support",
            "nps": rng.randint(0, 10),
            "customer_id": f"C{i % 997}",
        }
        for i in range(RESPONSES)
    ]
    return [rows[i : i + BATCH] for i in range(0, RESPONSES, BATCH)]


def _post(client: httpx.Client, url: str, body: Any, failures: Counter[int]) -> httpx.Response:
    """POST like a webhook sender: retry on 429 (after Retry-After), on 5xx and on a dropped connection."""
    for attempt in range(50):
        try:
            response = client.post(url, json=body)
        except httpx.TransportError:
            failures[0] += 1
            time.sleep(0.05 * (attempt + 1))
            continue
        if response.status_code == 429:
            failures[429] += 1
            time.sleep(float(response.headers["Retry-After"]))
            continue
        if response.status_code >= 500:
            failures[response.status_code] += 1
            time.sleep(0.05 * (attempt + 1))
            continue
        return response
    raise AssertionError(f"{url}: gave up after 50 attempts")


def _sender(
    base: str, token: str, work: queue.Queue[list[dict[str, Any]]], seed: int, failures: Counter[int]
) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        while True:
            try:
                batch = work.get_nowait()
            except queue.Empty:
                return
            twice = rng.random() < 0.15  # some deliveries arrive twice
            failures[-1] += twice
            for _ in range(2 if twice else 1):
                assert _post(client, "/api/ingest/responses", batch, failures).status_code == 200


def _stale_update(
    client: httpx.Client,
    case: dict[str, Any],
    seed: int,
    accepted: list[tuple[str, str]],
    failures: Counter[int],
) -> None:
    """Note a case (its version moves on), then try to start it naming the version read before the note."""
    text = f"note {seed}-stale"
    if _post(client, f"/api/cases/{case['case_id']}/notes", {"text": text}, failures).status_code == 200:
        accepted.append((case["case_id"], text))
    reply = _post(
        client,
        f"/api/cases/{case['case_id']}/actions",
        {"action": "start", "version": case["version"]},
        failures,
    )
    assert reply.status_code == 409, reply.text
    failures[409] += 1


def _worker(
    base: str,
    token: str,
    done: threading.Event,
    seed: int,
    accepted: list[tuple[str, str]],
    failures: Counter[int],
) -> None:
    """Add notes and start cases, each naming the version it read; a 409 means: read again, retry."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        n = 0
        while not done.is_set() or n < 50:
            cases = client.get("/api/cases", params={"limit": 20, "offset": rng.randint(0, 200)}).json()
            if not cases:
                time.sleep(0.05)
                continue
            case = rng.choice(cases)
            n += 1
            if n == 1:  # once per worker, for certain: an update from a stale read is refused, not applied
                _stale_update(client, case, seed, accepted, failures)
            elif rng.random() < 0.5:
                text = f"note {seed}-{n}"
                if (
                    _post(client, f"/api/cases/{case['case_id']}/notes", {"text": text}, failures).status_code
                    == 200
                ):
                    accepted.append((case["case_id"], text))
            else:
                body = {"action": "start", "version": case["version"]}
                reply = _post(client, f"/api/cases/{case['case_id']}/actions", body, failures)
                if reply.status_code == 200:
                    accepted.append((case["case_id"], "started"))
                else:
                    assert reply.status_code == 409, reply.text
                    failures[409] += 1


@pytest.mark.slow
def test_concurrent_webhooks_and_case_updates_lose_nothing(store_url: str) -> None:
    with Store(store_url) as store:
        add_user(store, "hook", "analyst")
        add_user(store, "agent", "analyst")
        hook, agent = issue_token(store, "hook"), issue_token(store, "agent")
    batches = _batches()
    work: queue.Queue[list[dict[str, Any]]] = queue.Queue()
    for batch in batches:
        work.put(batch)
    app = create_app(demo_settings(store=StoreSettings(url=store_url), server=ON_DEMAND))
    # 20 requests a second, bursts of 3, on a clock that moves 25 ms a request: half a request's allowance
    # comes back per request, so senders are refused and retry however fast the machine runs
    app.state.dashboard.rate_limiter = RateLimiter(1200, burst=3, clock=TickingClock(0.025))
    failures: Counter[int] = Counter()
    accepted: list[tuple[str, str]] = []
    done = threading.Event()
    with serving(app) as base:
        senders = [
            threading.Thread(target=_sender, args=(base, hook, work, i, failures)) for i in range(SENDERS)
        ]
        workers = [
            threading.Thread(target=_worker, args=(base, agent, done, 100 + i, accepted, failures))
            for i in range(WORKERS)
        ]
        for t in senders + workers:
            t.start()
        for t in senders:
            t.join()
        done.set()
        for t in workers:
            t.join()
    store = app.state.store
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT response_id FROM responses"))]
        detractors = conn.execute(sa.text("SELECT count(*) FROM responses WHERE nps <= 6")).scalar_one()
        cases = conn.execute(sa.text("SELECT trigger_id FROM case_triggers WHERE rule = 'detractor'")).all()
        notes = Counter(
            (r[0], r[1])
            for r in conn.execute(sa.text("SELECT case_id, detail FROM case_events WHERE action = 'noted'"))
        )
        changes = dict(
            conn.execute(
                sa.text(
                    "SELECT case_id, count(*) FROM case_events WHERE action NOT IN ('created', 'trigger_added') GROUP BY case_id"
                )
            ).all()
        )
        versions = dict(conn.execute(sa.text("SELECT case_id, version FROM cases")).all())
    app.state.store.close()
    assert not [code for code in failures if code >= 500], failures
    assert failures[-1] > 0 and failures[429] > 0 and failures[409] > 0, (
        failures
    )  # duplicates, retries, conflicts
    assert len(ids) == RESPONSES and len(set(ids)) == RESPONSES
    assert len(cases) == detractors and len({c[0] for c in cases}) == detractors
    assert len(accepted) > 100
    for case_id, what in accepted:
        if what != "started":
            assert notes[(case_id, f'{{"note": "{what}"}}')] == 1, (case_id, what)
    assert all(
        versions[case_id] == count for case_id, count in changes.items()
    )  # each accepted change counted once
    assert sum(changes.values()) == len(accepted)
