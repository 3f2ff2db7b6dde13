"""The demo's people at work on its cases, written in bulk: each step a person takes (start, assign, note,
resolve, reopen, follow-up, close) changes the case and adds one audit line exactly as the workflow
functions in `cxgap.cases.workflow` do (same state machine, same fields, same event shapes, the same
redaction of typed text), but thousands of steps are written as a few set-based statements per day of the
demo's calendar instead of one transaction each (24 ms a step; a 200,000-customer demo takes tens of
thousands of steps). tests/demo/test_loop.py replays steps through the workflow functions and checks that
both write the same cases and the same log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from cxgap.cases.typed import TypedText
from cxgap.cases.workflow import ACTIONS, ALL_STATUSES, PAST, event_id
from cxgap.store import Store, insert_all, insert_new

STEP_ACTIONS = (*ACTIONS, "assign", "note", "follow_up")


@dataclass(frozen=True)
class Step:
    """One thing a person does to a case at a moment of the demo's calendar."""

    at: dt.datetime
    case_id: str
    actor: str
    action: str  # one of STEP_ACTIONS
    root_cause: str | None = None
    note: str | None = None
    team: str | None = None
    owner: str | None = None
    score: float | None = None


def _sets(step: Step, row: dict[str, Any]) -> tuple[tuple[str, ...], str, dict[str, Any], dict[str, Any]]:
    """What the workflow function for `step` allows, logs, sets and details (before redaction)."""
    at = step.at
    if step.action in ACTIONS:
        allowed, after = ACTIONS[step.action]
        sets: dict[str, Any] = {"status": after}
        if step.action == "resolve":
            sets["resolved_at"] = at
        if step.root_cause is not None:
            sets["root_cause"] = step.root_cause
        if step.action == "close":
            sets["closed_at"] = at
        if step.action == "reopen":
            sets |= {
                "resolved_at": None,
                "closed_at": None,
                "reopen_count": int(row["reopen_count"] or 0) + 1,
            }
        pairs = (("root_cause", step.root_cause), ("note", step.note))
        return allowed, PAST[step.action], sets, {k: v for k, v in pairs if v is not None}
    if step.action == "assign":
        sets = {k: v for k, v in (("team", step.team), ("owner", step.owner)) if v is not None}
        return ALL_STATUSES, "assigned", sets, dict(sets)
    if step.action == "note":
        return ALL_STATUSES, "noted", {}, {"note": step.note}
    if step.action == "follow_up":
        sets = {"follow_up_score": float(step.score or 0.0), "follow_up_at": at}
        return ("resolved", "closed"), "follow_up", sets, {"score": step.score}
    raise ValueError(f"action = '{step.action}' is not one of {', '.join(STEP_ACTIONS)}")


class Desk:
    """The cases being worked, held in memory between writes: `apply` takes a step as the workflow would
    (a step the case's status no longer allows is dropped, as the workflow would refuse it) and `write`
    stores what changed since the last write, in one transaction."""

    def __init__(self, typed: dict[str, str]) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.typed = typed  # every text a step can carry, redacted once (see `redacted_vocabulary`)
        self._changed: set[str] = set()
        self._events: list[dict[str, Any]] = []
        self.steps = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        """Cases a rule or a playbook run just opened, as stored."""
        for row in rows:
            self.rows[str(row["case_id"])] = dict(row)

    def _text(self, value: Any) -> Any:
        return self.typed.get(value, value) if isinstance(value, str) else value

    def apply(self, step: Step) -> bool:
        """Take one step; False when the case's status does not allow it (nothing changes then)."""
        row = self.rows[step.case_id]
        allowed, action, sets, detail = _sets(step, row)
        before = row["status"]
        if before not in allowed:
            return False
        sets = {k: v if k == "status" else self._text(v) for k, v in sets.items()}
        row |= sets
        row["version"] = int(row["version"] or 0) + 1
        row["updated_at"] = step.at
        row["first_action_at"] = row["first_action_at"] or step.at
        self._changed.add(step.case_id)
        self._events.append(
            {
                "event_id": event_id(),
                "case_id": step.case_id,
                "happened_at": step.at,
                "actor": self._text(step.actor),
                "action": action,
                "from_status": before,
                "to_status": sets.get("status", before),
                "detail": json.dumps({k: self._text(v) for k, v in detail.items()}, default=str)
                if detail
                else None,
            }
        )
        self.steps += 1
        return True

    def write(self, store: Store) -> int:
        """Store the changed cases (whole rows) and their new audit lines; how many cases changed."""
        if not self._changed:
            return 0
        rows = [self.rows[c] for c in sorted(self._changed)]
        with store.begin() as conn:
            insert_new(conn, "cases", pa.Table.from_pylist(rows), replace_existing=True)
            insert_all(conn, "case_events", pa.Table.from_pylist(self._events))
        changed = len(rows)
        self._changed.clear()
        self._events.clear()
        return changed


def redacted_vocabulary(store: Store, texts: Iterable[str]) -> dict[str, str]:
    """Each text the demo's people type (their names, notes, teams, root causes) as the workflow would store
    it: redacted like everything typed into the loop, once per distinct text."""
    with store.begin() as conn:
        typed = TypedText(conn)
        return {text: typed.text(text) for text in set(texts)}


def stored_cases(store: Store, where: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Whole case rows matching `where` (to hold them on the desk)."""
    with store.engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT * FROM cases WHERE {where}"), params)
        return [dict(r._mapping) for r in result]
