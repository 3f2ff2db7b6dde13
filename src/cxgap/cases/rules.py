"""Case rules: one set-based INSERT per rule opens a case for every matching record not already cased.

A case's id is derived from (rule, triggering record), and the insert skips ids that exist, so a rerun, a
retried webhook or two servers running the rules at once never open a second case for the same trigger.
Routing (the first route whose touchpoint and segment match) is a CASE expression with bound values; the
teams and owners a person typed into the routes are bound redacted, like everything typed into the loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.cases.typed import TypedText
from cxgap.config import CaseRule, Settings
from cxgap.store import Store, insert_all

# per trigger: (kind, source table with alias, its id, time, touchpoint and condition; the summary)
_SOURCES: dict[str, dict[str, str]] = {
    "detractor": {
        "kind": "response",
        "table": "responses s",
        "id": "s.response_id",
        "time": "s.responded_at",
        "touchpoint": "s.touchpoint",
        "condition": "s.nps <= :at_most",
        "summary": "'NPS ' || CAST(s.nps AS VARCHAR) || ' (' || s.survey_kind || ')' || "
        "COALESCE(': ' || substr(s.comment, 1, 200), '')",
    },
    "low_csat": {
        "kind": "response",
        "table": "responses s",
        "id": "s.response_id",
        "time": "s.responded_at",
        "touchpoint": "s.touchpoint",
        "condition": "s.csat <= :at_most",
        "summary": "'CSAT ' || CAST(s.csat AS VARCHAR) || COALESCE(': ' || substr(s.comment, 1, 200), '')",
    },
    "negative_feedback": {
        "kind": "feedback",
        "table": "feedback s",
        "id": "s.feedback_id",
        "time": "s.received_at",
        "touchpoint": "s.touchpoint",
        "condition": "s.rating <= :at_most",
        "summary": "s.source || ' rated ' || CAST(s.rating AS VARCHAR) || ': ' || substr(s.text, 1, 200)",
    },
    "unresolved_interaction": {
        "kind": "interaction",
        "table": "interactions s",
        "id": "s.interaction_id",
        "time": "s.occurred_at",
        "touchpoint": "s.touchpoint",
        "condition": "s.resolved = false",
        "summary": "'Unresolved ' || s.kind || COALESCE(' about ' || s.reason, '')",
    },
}
_DEFAULT_AT_MOST = {"detractor": 6.0, "low_csat": 2.0, "negative_feedback": 2.0}


@dataclass(frozen=True)
class RuleRun:
    """What one run of the rules opened, per rule."""

    run_id: str
    opened: dict[str, int]
    triggers: tuple[str, ...] = ()  # the record that opened each case (a record can open one per rule)

    @property
    def total(self) -> int:
        """Cases opened in all."""
        return sum(self.opened.values())


_ROUTE_TEXTS: dict[tuple[str, str | None], tuple[float, str | None]] = {}
ROUTE_TEXT_SECONDS = 60.0
"""How long a configured team or owner keeps its redacted form (per store): a burst of webhook batches runs
the rules many times a second, and each redaction looks up the customer names the text could contain."""


def _route_text(typed: TypedText, value: str | None) -> str | None:
    """A route's team or owner from cxgap.toml, redacted (the result kept for a minute per store)."""
    key = (typed.conn.engine.url.render_as_string(hide_password=True), value)
    now = time.monotonic()
    kept = _ROUTE_TEXTS.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    text = typed.text(value)
    _ROUTE_TEXTS[key] = (now + ROUTE_TEXT_SECONDS, text)
    return text


def _routing(rule: CaseRule, field: str, params: dict[str, Any], typed: TypedText) -> str:
    """CASE expression choosing the first matching route's team or owner (bound values only, redacted)."""
    whens = []
    for i, route in enumerate(rule.routes):
        conditions = []
        if route.touchpoint:
            params[f"route{i}_tp"] = route.touchpoint
            conditions.append(f"s.touchpoint = :route{i}_tp")
        if route.segment:
            params[f"route{i}_seg"] = route.segment
            conditions.append(f"c.segment = :route{i}_seg")
        params[f"route{i}_{field}"] = _route_text(typed, getattr(route, field))
        whens.append(f"WHEN {' AND '.join(conditions) or 'true'} THEN :route{i}_{field}")
    return f"CASE {' '.join(whens)} END"


def _open(
    conn: Connection,
    name: str,
    rule: CaseRule,
    run: str,
    now: dt.datetime,
    since: dt.datetime,
    batch: str | None,
    records: Collection[str] | None,
    typed: TypedText,
) -> list[tuple[str, str, str | None]]:
    """Open `rule`'s cases; (case id, trigger id, team) of each case opened."""
    source = _SOURCES[rule.when]
    params: dict[str, Any] = {
        "rule": name,
        "run": run,
        "now": now,
        "due": now + dt.timedelta(hours=rule.due_hours),
        "since": since,
        "kind": source["kind"],
        "at_most": rule.at_most if rule.at_most is not None else _DEFAULT_AT_MOST.get(rule.when),
    }
    where = [source["condition"], f"{source['time']} >= :since"]
    if rule.touchpoints:
        names = [f":tp{i}" for i in range(len(rule.touchpoints))]
        params |= {f"tp{i}": tp for i, tp in enumerate(rule.touchpoints)}
        where.append(f"s.touchpoint IN ({', '.join(names)})")
    if batch is not None:
        params["batch"] = batch
        where.append("s.batch_id = :batch")
    if records is not None:  # found by key, not by scanning the whole table for the batch
        params["records"] = list(records)
        where.append(f"{source['id']} IN :records")
    case_id = f"(:rule || '-' || substr(md5(:rule || ':' || {source['id']}), 1, 16))"
    team, owner = _routing(rule, "team", params, typed), _routing(rule, "owner", params, typed)
    sql = (
        "INSERT INTO cases (case_id, created_at, customer_id, touchpoint, segment, trigger_kind, trigger_id, rule, "
        "team, owner, status, due_at, summary, updated_at, reopen_count, version, batch_id) "
        f"SELECT {case_id}, :now, s.customer_id, {source['touchpoint']}, c.segment, :kind, {source['id']}, :rule, "
        f"{team}, {owner}, 'open', :due, {source['summary']}, "
        ":now, 0, 0, :run "
        f"FROM {source['table']} LEFT JOIN customers c ON c.customer_id = s.customer_id "
        f"WHERE {' AND '.join(where)} ON CONFLICT (case_id) DO NOTHING RETURNING case_id, trigger_id, team"
    )
    statement = sa.text(sql)
    if records is not None:
        statement = statement.bindparams(sa.bindparam("records", expanding=True, type_=sa.String))
    return [(str(c), str(t), team) for c, t, team in conn.execute(statement, params).all()]


def rules_reading(settings: Settings, table: str) -> tuple[str, ...]:
    """The configured rules that open cases from records of `table` (a batch of it can match no other)."""
    return tuple(
        name
        for name, rule in settings.cases.rules.items()
        if _SOURCES[rule.when]["table"].split()[0] == table
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
    or of one import `batch`; open the cases, log each as created by 'rules', in one transaction.

    `records`: only these source records (ids) of the batch, the keys a webhook batch wrote; they are found
    by key, so the cost does not grow with the table."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run = f"run-{uuid.uuid4().hex[:24]}"
    opened: dict[str, list[tuple[str, str, str | None]]] = {}
    with store.begin() as conn:
        typed = TypedText(conn)  # one per run: a team named in several routes is redacted once
        for name, rule in settings.cases.rules.items():
            if only and name not in only:
                continue
            start = since or now - dt.timedelta(days=rule.lookback_days)
            opened[name] = _open(conn, name, rule, run, now, start, batch, records, typed)
        events = [
            _created(case_id, name, team, now) for name, cases in opened.items() for case_id, _, team in cases
        ]
        if events:
            insert_all(conn, "case_events", pa.Table.from_pylist(events))
    triggers = tuple(trigger for cases in opened.values() for _, trigger, _ in cases)
    return RuleRun(run, {name: len(cases) for name, cases in opened.items()}, triggers)


def _created(case_id: str, rule: str, team: str | None, now: dt.datetime) -> dict[str, Any]:
    """The case event that records a rule opening `case_id`."""
    return {
        "event_id": hashlib.md5(f"{case_id}|created".encode()).hexdigest(),
        "case_id": case_id,
        "happened_at": now,
        "actor": "rules",
        "action": "created",
        "from_status": None,
        "to_status": "open",
        "detail": json.dumps({"rule": rule, "team": team or ""}),
    }
