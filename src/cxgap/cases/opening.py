"""How one case rule opens cases: three set-based statements per rule, whatever the number of records.

The records a rule matches (within its lookback or an import batch, and not yet attached to a case) are
the candidates. With `group_by_customer`, (1) a candidate of a customer who already holds an open case of a
grouping rule (opened before, or earlier in this run) joins that case as another trigger; (2) of the rest,
each customer's earliest record opens one case (a record without a customer opens its own); (3) every
remaining candidate becomes a trigger of the case its customer's first record opened. Without grouping each
record opens its own case. Every trigger, the first included, is a row of `case_triggers`, whose primary
key (rule, kind, record) makes reruns, retried webhooks and two servers at once harmless: a record never
opens or joins twice. A case's id is derived from (rule, its first record), as before triggers were kept,
so a case opened by an earlier version is recognised and its record not taken up again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.cases.typed import TypedText
from cxgap.config import CaseRule

# per trigger: (kind, source table with alias, its id, time, touchpoint and condition; the summary)
SOURCES: dict[str, dict[str, str]] = {
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
        "summary": "'CSAT ' || CASE WHEN s.csat = round(s.csat) THEN CAST(CAST(s.csat AS INTEGER) AS VARCHAR) "
        "ELSE CAST(round(CAST(s.csat AS NUMERIC), 2) AS VARCHAR) END || COALESCE(': ' || substr(s.comment, 1, 200), '')",
    },
    "negative_feedback": {
        "kind": "feedback",
        "table": "feedback s",
        "id": "s.feedback_id",
        "time": "s.received_at",
        "touchpoint": "s.touchpoint",
        "condition": "s.rating <= :at_most",
        "summary": "s.source || ' rated ' || CASE WHEN s.rating = floor(s.rating) "
        "THEN CAST(CAST(s.rating AS INTEGER) AS VARCHAR) ELSE CAST(s.rating AS VARCHAR) END || ': ' || "
        "substr(s.text, 1, 200)",
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


def _routing(rule: CaseRule, column: str, params: dict[str, Any], typed: TypedText) -> str:
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
        params[f"route{i}_{column}"] = _route_text(typed, getattr(route, column))
        whens.append(f"WHEN {' AND '.join(conditions) or 'true'} THEN :route{i}_{column}")
    return f"CASE {' '.join(whens)} END"


TRIGGER_COLUMNS = "rule, trigger_kind, trigger_id, case_id, added_at, summary"


@dataclass(frozen=True)
class Opened:
    """What one rule did in a run: (case, record, team) of each case opened; (case, record, summary) of
    each record that joined a case (an earlier one, or one this run opened for the customer's first)."""

    opened: list[tuple[str, str, str | None]]
    joined: list[tuple[str, str, str | None]]
    undated: int = 0  # records the rule matches that carry no date: no lookback can include them


def _undated(
    conn: Connection, rule: CaseRule, source: dict[str, str], params: dict[str, Any], batch: str | None
) -> int:
    """How many records the rule matches but cannot judge, having no date (a review export without one):
    counted so a run that opens nothing says why, instead of silently."""
    where = [source["condition"], f"{source['time']} IS NULL"]
    if rule.touchpoints:
        where.append(f"s.touchpoint IN ({', '.join(f':tp{i}' for i in range(len(rule.touchpoints)))})")
    if batch is not None:
        where.append("s.batch_id = :batch")
    sql = f"SELECT count(*) FROM {source['table']} WHERE {' AND '.join(where)}"
    return int(conn.execute(sa.text(sql), params).scalar() or 0)


def _candidates(
    rule: CaseRule,
    source: dict[str, str],
    params: dict[str, Any],
    batch: str | None,
    records: Collection[str] | None,
    typed: TypedText,
) -> str:
    """The CTE `m` of the rule's candidate records, each with its own derived case id and `home`, the
    case it belongs in (its customer's first record's, when the rule groups by customer)."""
    where = [source["condition"], f"{source['time']} >= :since"]
    if records is None:  # the loop sees no record from after its clock (a delivery is by definition present)
        where.append(f"{source['time']} <= :now")
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
    own = f"(:rule || '-' || substr(md5(:rule || ':' || {source['id']}), 1, 16))"
    where.append(  # not attached yet, and no case of an earlier run (or version) derived from it
        "NOT EXISTS (SELECT 1 FROM case_triggers t WHERE t.rule = :rule AND t.trigger_kind = :kind "
        f"AND t.trigger_id = {source['id']}) AND NOT EXISTS (SELECT 1 FROM cases x WHERE x.case_id = {own} "
        "AND COALESCE(x.batch_id, '') <> :run)"
    )
    team, owner = _routing(rule, "team", params, typed), _routing(rule, "owner", params, typed)
    home = "own"
    if rule.group_by_customer:
        home = (
            "CASE WHEN customer_id IS NULL THEN own ELSE "
            "FIRST_VALUE(own) OVER (PARTITION BY customer_id ORDER BY seen_at, tid) END"
        )
    return (
        f"WITH f AS (SELECT {source['id']} AS tid, {own} AS own, s.customer_id AS customer_id, "
        f"{source['touchpoint']} AS touchpoint, c.segment AS segment, {source['time']} AS seen_at, "
        f"{source['summary']} AS summary, {team} AS team, {owner} AS owner "
        f"FROM {source['table']} LEFT JOIN customers c ON c.customer_id = s.customer_id "
        f"WHERE {' AND '.join(where)}), m AS (SELECT f.*, {home} AS home FROM f)"
    )


def _run(conn: Connection, sql: str, params: dict[str, Any], records: bool) -> list[Any]:
    statement = sa.text(sql)
    if records:
        statement = statement.bindparams(sa.bindparam("records", expanding=True, type_=sa.String))
    return list(conn.execute(statement, params).all())


def _join_open(
    conn: Connection, candidates: str, params: dict[str, Any], joinable: tuple[str, ...], records: bool
) -> list[tuple[str, str, str | None]]:
    """Step 1: candidates of customers holding an open case of a grouping rule join the oldest such case."""
    names = [f":join{i}" for i in range(len(joinable))]
    params |= {f"join{i}": name for i, name in enumerate(joinable)}
    sql = (
        f"INSERT INTO case_triggers ({TRIGGER_COLUMNS}) {candidates}, "
        "o AS (SELECT customer_id, case_id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at, "
        f"case_id) AS n FROM cases WHERE status IN ('open', 'in_progress') AND rule IN ({', '.join(names)}) "
        "AND customer_id IN (SELECT customer_id FROM m)) "
        "SELECT :rule, :kind, m.tid, o.case_id, :now, m.summary FROM m "
        "JOIN o ON o.customer_id = m.customer_id AND o.n = 1 "
        "ON CONFLICT DO NOTHING RETURNING case_id, trigger_id, summary"
    )
    return [(str(c), str(t), s) for c, t, s in _run(conn, sql, params, records)]


def open_rule(
    conn: Connection,
    name: str,
    rule: CaseRule,
    joinable: tuple[str, ...],
    run: str,
    window: tuple[dt.datetime, dt.datetime],
    batch: str | None,
    records: Collection[str] | None,
    typed: TypedText,
) -> Opened:
    """Open (or join) `rule`'s cases at `window` = (now, since); `joinable`: the grouping rules whose open
    cases a customer's new record may join."""
    now, since = window
    source = SOURCES[rule.when]
    params: dict[str, Any] = {
        "rule": name,
        "run": run,
        "now": now,
        "due": now + dt.timedelta(hours=rule.due_hours),
        "since": since,
        "kind": source["kind"],
        "at_most": rule.at_most if rule.at_most is not None else _DEFAULT_AT_MOST.get(rule.when),
    }
    candidates = _candidates(rule, source, params, batch, records, typed)
    keyed = records is not None
    joined = _join_open(conn, candidates, params, joinable, keyed) if rule.group_by_customer else []
    opened = _run(
        conn,
        "INSERT INTO cases (case_id, created_at, customer_id, touchpoint, segment, trigger_kind, trigger_id, "
        "rule, team, owner, status, due_at, summary, updated_at, reopen_count, version, batch_id) "
        f"{candidates} SELECT own, :now, customer_id, touchpoint, segment, :kind, tid, :rule, team, owner, "
        "'open', :due, summary, :now, 0, 0, :run FROM m WHERE home = own "
        "ON CONFLICT (case_id) DO NOTHING RETURNING case_id, trigger_id, team",
        params,
        keyed,
    )
    attached = _run(
        conn,
        f"INSERT INTO case_triggers ({TRIGGER_COLUMNS}) {candidates} "
        "SELECT :rule, :kind, tid, home, :now, summary FROM m "
        "WHERE EXISTS (SELECT 1 FROM cases x WHERE x.case_id = m.home) "
        "ON CONFLICT DO NOTHING RETURNING case_id, trigger_id, summary",
        params,
        keyed,
    )
    first = {(str(c), str(t)) for c, t, _ in opened}
    joined += [(str(c), str(t), s) for c, t, s in attached if (str(c), str(t)) not in first]
    undated = 0 if keyed else _undated(conn, rule, source, params, batch)
    return Opened([(str(c), str(t), team) for c, t, team in opened], joined, undated)
