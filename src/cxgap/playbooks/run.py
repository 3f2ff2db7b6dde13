"""Playbooks: open a recovery or success case for every current customer a playbook's conditions select,
through the closed loop, and leave a holdout alone on purpose so the effect can be measured.

A customer is assigned at most once per playbook and cooldown period: the assignment's key (playbook,
customer, period) and the case id derived from it make a rerun, or two runs at once, open nothing twice.
Which customers are held out is decided by a hash of (playbook, customer, period), not by chance at run
time, so a rerun holds out the same ones. The team, owner and action a person typed into the playbook are
stored redacted in the cases it opens, like everything typed into the closed loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from cxgap.cases.typed import TypedText
from cxgap.config import Playbook, Settings
from cxgap.store import Store, insert_new


@dataclass(frozen=True)
class PlaybookOutcome:
    """One playbook in one run: how many customers qualified, were already covered, got a case, were
    held out; and the planned rows (customer, arm, health, risk, revenue, case id)."""

    playbook: str
    qualifying: int
    already_covered: int
    treated: int
    held_out: int
    opened: int
    planned: pd.DataFrame


@dataclass(frozen=True)
class PlaybookRun:
    """A run of every playbook (nothing written when `dry_run`)."""

    run_id: str
    at: dt.datetime
    dry_run: bool
    outcomes: tuple[PlaybookOutcome, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per playbook."""
        return pd.DataFrame(
            [
                {
                    k: getattr(o, k)
                    for k in ("playbook", "qualifying", "already_covered", "treated", "held_out", "opened")
                }
                for o in self.outcomes
            ]
        )


def qualifying(scored: pd.DataFrame, playbook: Playbook) -> pd.DataFrame:
    """The scored customers (columns customer_id, segment, risk, health, revenue) meeting every condition."""
    keep = np.ones(len(scored), bool)
    if playbook.health_below is not None:
        keep &= (scored["health"] < playbook.health_below).to_numpy()
    if playbook.health_at_least is not None:
        keep &= (scored["health"] >= playbook.health_at_least).to_numpy()
    if playbook.risk_above is not None:
        keep &= (scored["risk"] > playbook.risk_above).to_numpy()
    if playbook.value_at_least is not None:
        keep &= (scored["revenue"].fillna(-np.inf) >= playbook.value_at_least).to_numpy()
    if playbook.segments:
        keep &= scored["segment"].isin(playbook.segments).to_numpy()
    return scored.loc[keep]


def _period(at: dt.datetime, playbook: Playbook) -> int:
    return (at.date() - dt.date(1970, 1, 1)).days // playbook.cooldown_days


def _held_out(name: str, customers: pd.Series, period: int, share: float) -> np.ndarray:
    """A stable pseudo-random share of customers: the first 8 bytes of a SHA-256 as a fraction."""

    def fraction(customer: str) -> float:
        digest = hashlib.sha256(f"{name}/{customer}/{period}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    return np.array([fraction(str(c)) < share for c in customers], dtype=bool)


def _covered(store: Store, name: str, since: dt.datetime) -> set[str]:
    sql = "SELECT customer_id FROM playbook_assignments WHERE playbook = :name AND assigned_at > :since"
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text(sql), {"name": name, "since": since})}


def plan(
    store: Store, scored: pd.DataFrame, name: str, playbook: Playbook, at: dt.datetime
) -> PlaybookOutcome:
    """Who this playbook would act on now, and whom it holds out (nothing written)."""
    chosen = qualifying(scored, playbook)
    covered = _covered(store, name, at - dt.timedelta(days=playbook.cooldown_days))
    fresh = chosen[~chosen["customer_id"].astype(str).isin(covered)]
    period = _period(at, playbook)
    hold = _held_out(name, fresh["customer_id"], period, playbook.holdout)
    ids = [
        f"PB-{hashlib.sha256(f'{name}/{c}/{period}'.encode()).hexdigest()[:20]}" for c in fresh["customer_id"]
    ]
    planned = pd.DataFrame(
        {
            "customer_id": fresh["customer_id"].astype(str).to_numpy(),
            "segment": fresh["segment"].to_numpy(),
            "arm": np.where(hold, "holdout", "treated"),
            "health": fresh["health"].to_numpy(),
            "risk": fresh["risk"].to_numpy(),
            "revenue": fresh["revenue"].to_numpy(),
            "reasons": fresh["reasons"].to_numpy() if "reasons" in fresh.columns else "",
            "case_id": [None if h else i for h, i in zip(hold, ids, strict=True)],
            "period": period,
        }
    )
    return PlaybookOutcome(
        name, len(chosen), len(chosen) - len(fresh), int((~hold).sum()), int(hold.sum()), 0, planned
    )


def _summary(playbook: Playbook, action: str, row: dict[Any, Any]) -> str:
    """What the case asks for: the playbook's (redacted) `action` and why the customer qualified."""
    reasons = f"; {row['reasons']}" if row.get("reasons") else ""
    return (
        f"{playbook.kind.capitalize()}: {action} (health {float(row['health']):.0f}, "
        f"churn risk {float(row['risk']):.0%}{reasons})"
    )


def _arrow(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)


def write(store: Store, outcome: PlaybookOutcome, playbook: Playbook, at: dt.datetime, run_id: str) -> int:
    """Record the assignments and open the treated customers' cases, skipping customers this period
    already has; returns the cases opened."""
    planned = outcome.planned
    if planned.empty:
        return 0
    period = int(planned["period"].iloc[0])
    with store.begin() as conn:
        # redacted once per playbook, not per case, and before the table lock: the same text for every case
        typed = TypedText(conn)
        team, owner, action = (
            typed.text(playbook.team),
            typed.text(playbook.owner),
            typed.text(playbook.action),
        )
        if (
            store.backend == "postgresql"
        ):  # two runs at once: the second waits and then finds the first's rows
            conn.execute(sa.text("LOCK TABLE playbook_assignments IN SHARE ROW EXCLUSIVE MODE"))
        sql = "SELECT customer_id FROM playbook_assignments WHERE playbook = :name AND period = :period"
        done = {r[0] for r in conn.execute(sa.text(sql), {"name": outcome.playbook, "period": period})}
        rows = [r for r in planned.to_dict("records") if r["customer_id"] not in done]
        if not rows:
            return 0
        keep = ("customer_id", "period", "arm", "health", "risk", "revenue", "case_id")
        assignments = [
            {k: r[k] for k in keep} | {"playbook": outcome.playbook, "assigned_at": at, "run_id": run_id}
            for r in rows
        ]
        insert_new(conn, "playbook_assignments", _arrow(assignments))
        treated = [r for r in rows if r["arm"] == "treated"]
        due = at + dt.timedelta(hours=playbook.due_hours)
        cases = [
            {
                "case_id": r["case_id"],
                "created_at": at,
                "customer_id": r["customer_id"],
                "segment": r["segment"],
                "trigger_kind": "health",
                "trigger_id": f"{outcome.playbook}/{period}",
                "rule": outcome.playbook,
                "team": team,
                "owner": owner,
                "status": "open",
                "due_at": due,
                "summary": _summary(playbook, action, r),
                "updated_at": at,
                "reopen_count": 0,
                "version": 1,
            }
            for r in treated
        ]
        events = [
            {
                "event_id": uuid.uuid4().hex,
                "case_id": c["case_id"],
                "happened_at": at,
                "actor": f"playbook:{outcome.playbook}",
                "action": "created",
                "from_status": None,
                "to_status": "open",
                "detail": json.dumps({"run_id": run_id}),
            }
            for c in cases
        ]
        opened = insert_new(conn, "cases", _arrow(cases)).new if cases else 0
        if events:
            insert_new(conn, "case_events", _arrow(events))
    return opened


def run_playbooks(
    store: Store,
    scored: pd.DataFrame,
    settings: Settings,
    *,
    at: dt.datetime | None = None,
    dry_run: bool = False,
    only: tuple[str, ...] = (),
) -> PlaybookRun:
    """Run every configured playbook (or `only` these) over the scored customers."""
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = uuid.uuid4().hex
    outcomes = []
    for name, playbook in settings.playbooks.items():
        if only and name not in only:
            continue
        outcome = plan(store, scored, name, playbook, at)
        if not dry_run:
            outcome = PlaybookOutcome(
                **{**outcome.__dict__, "opened": write(store, outcome, playbook, at, run_id)}
            )
        outcomes.append(outcome)
    return PlaybookRun(run_id, at, dry_run, tuple(outcomes))
