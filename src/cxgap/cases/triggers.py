"""What opened a case and what else its customer has open: the case's triggers (the record that opened it
and every record that joined it, from `case_triggers`) and the customer's other cases, within a scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cxgap.cases.workflow import FIELDS, CaseRecord, record_of
from cxgap.store import Store


@dataclass(frozen=True)
class CaseTrigger:
    """One record that opened or joined a case: the rule that matched it, its kind and id, when it was
    attached and what it says (a redacted summary)."""

    rule: str
    trigger_kind: str
    trigger_id: str
    added_at: dt.datetime
    summary: str | None


def case_triggers(store: Store, case_id: str) -> list[CaseTrigger]:
    """The case's triggers, the first (the one that opened it) first."""
    sql = (
        "SELECT rule, trigger_kind, trigger_id, added_at, summary FROM case_triggers WHERE case_id = :id "
        "ORDER BY added_at, rule, trigger_kind, trigger_id"
    )
    with store.engine.connect() as conn:
        return [CaseTrigger(**dict(r._mapping)) for r in conn.execute(sa.text(sql), {"id": case_id})]


def customer_cases(
    store: Store, customer_id: str, *, scope: str | None, open_only: bool = True
) -> list[CaseRecord]:
    """The customer's cases (only open and in-progress ones unless `open_only` is false), oldest first;
    `scope` (a team) keeps other teams' cases out, as everywhere in the loop."""
    params: dict[str, Any] = {"customer": customer_id}
    where = ["customer_id = :customer"]
    if open_only:
        where.append("status IN ('open', 'in_progress')")
    if scope is not None:
        params["scope"] = scope
        where.append("team = :scope")
    sql = f"SELECT {', '.join(FIELDS)} FROM cases WHERE {' AND '.join(where)} ORDER BY created_at, case_id"
    with store.engine.connect() as conn:
        return [record_of(r) for r in conn.execute(sa.text(sql), params)]
