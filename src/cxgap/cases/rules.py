"""Case rules: each configured rule opens a case for every matching record not already attached to one,
or (rules that group by customer) adds the record to its customer's open case (see cxgap.cases.opening).

Records are judged at the loop's clock (cxgap.cases.clock): each rule's lookback ends there, so a store with
its own calendar, or `[cases] as_of`, opens the cases a live loop would have. Routing (the first route whose
touchpoint and segment match) is a CASE expression with bound values; the teams and owners a person typed
into the routes are bound redacted, like everything typed into the loop. Each case's creation, and each
record joining a case, is one audit line by 'rules'.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cxgap.cases.clock import loop_now
from cxgap.cases.opening import SOURCES, Opened, open_rule
from cxgap.cases.typed import TypedText
from cxgap.config import Settings
from cxgap.store import Store, insert_all


@dataclass(frozen=True)
class RuleRun:
    """What one run of the rules did, per rule: cases opened, and records that joined a customer's case."""

    run_id: str
    opened: dict[str, int]
    triggers: tuple[str, ...] = ()  # the record that opened each case (a record can open one per rule)
    joined: dict[str, int] = field(default_factory=dict)
    undated: dict[str, int] = field(default_factory=dict)  # matching records with no date, left alone

    @property
    def total(self) -> int:
        """Cases opened in all."""
        return sum(self.opened.values())

    @property
    def total_joined(self) -> int:
        """Records that joined a case in all."""
        return sum(self.joined.values())


def rules_reading(settings: Settings, table: str) -> tuple[str, ...]:
    """The configured rules that open cases from records of `table` (a batch of it can match no other)."""
    return tuple(
        name for name, rule in settings.cases.rules.items() if SOURCES[rule.when]["table"].split()[0] == table
    )


def open_cases(
    store: Store,
    settings: Settings,
    *,
    since: dt.datetime | None = None,
    batch: str | None = None,
    records: Collection[str] | None = None,
    now: dt.datetime | None = None,
    only: tuple[str, ...] = (),
) -> RuleRun:
    """Run the configured rules (or `only` those) over records since `since` (default: each rule's lookback)
    up to `now` (default: the loop's clock), or of one import `batch`; open the cases or join a customer's
    open case (rules that group by customer), log each, all in one transaction.

    `records`: only these source records (ids) of the batch, the keys a webhook batch wrote; they are found
    by key, so the cost does not grow with the table."""
    now = now or loop_now(store, settings)
    run = f"run-{uuid.uuid4().hex[:24]}"
    rules = {name: rule for name, rule in settings.cases.rules.items() if not only or name in only}
    joinable = tuple(name for name, rule in settings.cases.rules.items() if rule.group_by_customer)
    done: dict[str, Opened] = {}
    with store.begin() as conn:
        typed = TypedText(conn)  # one per run: a team named in several routes is redacted once
        for name, rule in rules.items():
            start = since or now - dt.timedelta(days=rule.lookback_days)
            done[name] = open_rule(conn, name, rule, joinable, run, (now, start), batch, records, typed)
        events = [_created(c, name, team, now) for name, o in done.items() for c, _, team in o.opened]
        events += [
            _joined(c, name, t, summary, now) for name, o in done.items() for c, t, summary in o.joined
        ]
        if events:
            insert_all(conn, "case_events", pa.Table.from_pylist(events))
    triggers = tuple(trigger for o in done.values() for _, trigger, _ in o.opened)
    opened = {name: len(o.opened) for name, o in done.items()}
    joined = {name: len(o.joined) for name, o in done.items()}
    return RuleRun(run, opened, triggers, joined, {name: o.undated for name, o in done.items() if o.undated})


def _event(case_id: str, key: str, action: str, detail: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A case event the rules write, its id derived from what it records (never logged twice)."""
    return {
        "event_id": hashlib.md5(f"{case_id}|{key}".encode()).hexdigest(),
        "case_id": case_id,
        "happened_at": now,
        "actor": "rules",
        "action": action,
        "from_status": None,
        "to_status": "open" if action == "created" else None,
        "detail": json.dumps(detail),
    }


def _created(case_id: str, rule: str, team: str | None, now: dt.datetime) -> dict[str, Any]:
    """The case event that records a rule opening `case_id`."""
    return _event(case_id, "created", "created", {"rule": rule, "team": team or ""}, now)


def _joined(case_id: str, rule: str, trigger: str, summary: str | None, now: dt.datetime) -> dict[str, Any]:
    """The case event that records another of the customer's records joining `case_id`."""
    detail = {"rule": rule, "trigger_id": trigger, "summary": (summary or "")[:200]}
    return _event(case_id, f"trigger|{rule}|{trigger}", "trigger_added", detail, now)
