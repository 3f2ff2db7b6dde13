"""The demo company's closed loop: its own calendar (the data's last day), the cases its rules open over the
last weeks, worked by its people, the systemic issues raised from them and its playbook runs, so every
screen of the loop has live examples out of the box."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from cxgap import cases
from cxgap.access import add_user
from cxgap.cases.clock import set_loop_calendar
from cxgap.config import Settings
from cxgap.store import Store

# the demo company's people in the loop: name -> (role, team); they have no password until an admin sets
# one (`cxgap users password sam`), so nobody can sign in to a demo store with a known password
DEMO_STAFF: dict[str, tuple[str, str]] = {
    "lea": ("team_lead", "support"),
    "sam": ("team_member", "support"),
    "sue": ("team_member", "support"),
    "flo": ("team_lead", "field_service"),
    "fay": ("team_member", "field_service"),
    "kai": ("team_lead", "key_accounts"),
    "cleo": ("team_lead", "cx"),
    "cy": ("team_member", "cx"),
}


@dataclass(frozen=True)
class LoopSeed:
    """What the demo's loop holds after seeding."""

    data_end: dt.datetime
    cases_opened: int


def data_end(store: Store) -> dt.datetime:
    """The last moment the store has data for (its latest interaction, answer or feedback)."""
    with store.begin() as conn:
        ends = [
            conn.execute(sa.text(f"SELECT max({column}) FROM {table}")).scalar()
            for table, column in (
                ("interactions", "occurred_at"),
                ("responses", "responded_at"),
                ("feedback", "received_at"),
            )
        ]
    known = [end for end in ends if end is not None]
    if not known:
        raise ValueError("The store holds no dated records to seed the demo's loop from.")
    latest: dt.datetime = max(known)
    return latest


def seed_loop(store: Store, settings: Settings, *, seed: int = 42) -> LoopSeed:
    """Give a demo store its calendar, its people (`DEMO_STAFF`) and the cases its rules open."""
    end = data_end(store)
    set_loop_calendar(store, end)
    for name, (role, team) in DEMO_STAFF.items():
        add_user(store, name, role, team)
    run = cases.open_cases(store, settings, now=end)
    return LoopSeed(end, run.total)
