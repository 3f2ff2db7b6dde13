"""A real local SMTP server (aiosmtpd), a real local webhook receiver (http.server) that checks each
signature itself, and a store with staff and cases of two teams, for the notification tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from cxgap import cases
from cxgap.access import add_user
from cxgap.config import (
    CaseRule,
    CaseSettings,
    NotifySettings,
    Route,
    Settings,
    StoreSettings,
    Webhook,
    demo_settings,
)
from cxgap.store import Store
from tests.smtp_server import Inbox, smtp_server

NOW = dt.datetime(2026, 6, 1, 12, 0)  # the loop's clock in these tests (always passed, never the machine's)
SECRET = "a-webhook-secret-of-some-length"
STAFF = {  # name -> (role, team, e-mail)
    "lea": ("team_lead", "support", "lea@example.com"),
    "sam": ("team_member", "support", "sam@example.com"),
    "fay": ("team_member", "field_service", "fay@example.com"),
    "flo": ("team_lead", "field_service", "flo@example.com"),
    "ana": ("analyst", None, "ana@example.com"),
    "vic": ("viewer", None, None),
}
CUSTOMER_TEXT = "Mrs Jones at 12 Elm Street says the engineer never came"  # already redacted form aside


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 and a free port, with its inbox."""
    with smtp_server() as server:
        yield server


@dataclass
class Receiver:
    """What the webhook receiver got: each body, whether its signature checked out, and the answers to
    give per path (HTTP status codes, one per request to that path, then 200)."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Event = field(default_factory=threading.Event)


def _check(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """The receiver's own check, written as the docs tell a receiver to (not cxgap's function)."""
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", signature)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver (http.server in a thread) that checks the signature of every request."""
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = _check(SECRET, self.headers["X-Cxgap-Timestamp"], body, self.headers["X-Cxgap-Signature"])
            with got.lock:
                planned = got.answers.get(self.path, [])
                status = planned.pop(0) if planned else 200
                if status == 200:
                    got.bodies.append(json.loads(body))
                    got.verified.append(ok)
                    got.arrived.set()
            self.send_response(status if ok else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()


RULES = {
    "detractor": CaseRule(
        when="detractor",
        due_hours=4,
        lookback_days=30,
        routes=[
            Route(touchpoint="support", team="support"),
            Route(touchpoint="installation", team="field_service"),
        ],
    )
}


def settings_for(url: str, smtp_port: int | None = None, hook: str | None = None, **notify: Any) -> Settings:
    """Settings on `url` with the test rule, an SMTP server and/or a webhook, and `notify` overrides (the
    digest goes out at 23:00 unless they say otherwise)."""
    channels: dict[str, Any] = {}
    if smtp_port is not None:
        channels["smtp_url"] = f"smtp://127.0.0.1:{smtp_port}"
    if hook is not None:
        channels["webhooks"] = {"ops": Webhook(url=hook, secret=SECRET)}
    return demo_settings(
        store=StoreSettings(url=url),
        cases=CaseSettings(rules=RULES),
        playbooks={},
        # the digest at 23:00 unless a test says otherwise: the other tests run at midday
        notify=NotifySettings(base_url="https://cx.example.com", **{"digest_hour": 23} | channels | notify),
    )


def add_staff(store: Store) -> None:
    """The people of `STAFF`, with their e-mail addresses."""
    for name, (role, team, address) in STAFF.items():
        add_user(store, name, role, team)
        if address:
            with store.begin() as conn:
                conn.execute(
                    sa.text("UPDATE users SET email = :e WHERE user_id = :u"), {"e": address, "u": name}
                )


def add_detractors(store: Store, settings: Settings, at: dt.datetime, *rows: tuple[str, str]) -> list[str]:
    """A detractor answer per (response id, touchpoint), each of its own customer, and the rule run at
    `at` that opens their cases; the cases' ids in the order given."""
    with store.begin() as conn:
        for key, touchpoint in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, touchpoint, nps, comment) "
                    "VALUES (:k, :c, :at, 'transactional', :tp, 2, NULL)"
                ),
                {"k": key, "c": f"cust-{key}", "at": at - dt.timedelta(hours=1), "tp": touchpoint},
            )
    cases.open_cases(store, settings, now=at)
    with store.engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT trigger_id, case_id FROM cases")).all())
    return [found[key] for key, _ in rows]


@pytest.fixture
def staffed(store: Store) -> Store:
    """A store with the staff of `STAFF` (no cases yet)."""
    add_staff(store)
    return store
