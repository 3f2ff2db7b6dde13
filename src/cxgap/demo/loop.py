"""The demo company's closed loop: its own calendar, the cases its rules open over the last eight weeks,
worked by its people, the systemic issues raised from them and its playbook runs, so every screen of the
loop has live examples out of the box.

The loop's clock starts at 09:00 on the data's last day (the team comes in; see `loop_start`): the rules
ran every day at 18:00 over the eight weeks before (each run taking the records since the previous one)
and once more at the clock; between runs the people work the cases (cxgap.demo.loop_plan), so a customer's
new record joins their case only while it is still open, as in a live loop. The configured playbooks ran
at 07:00 six and two weeks before the clock. People work office hours, and stop 15 minutes before the
clock; a morning triage just before makes sure support's and field service's overdue and due-today
queues, and none of the demo's people's own, are empty.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass

import sqlalchemy as sa

from cxgap import cases
from cxgap.access import add_user
from cxgap.cases.clock import CLOCK_KEY, set_loop_calendar
from cxgap.config import Settings
from cxgap.demo.loop_outer import raise_demo_issues, run_demo_playbooks
from cxgap.demo.loop_plan import Staff, own_steps, plan_case, triage_steps, vocabulary
from cxgap.demo.loop_work import Desk, Step, redacted_vocabulary, stored_cases
from cxgap.demo.truth import TRUTH
from cxgap.engine import Engine
from cxgap.errors import CxgapError
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
WEEKS = 8
RULES_HOUR = 18
PLAYBOOK_WEEKS_BEFORE = (6, 2)
WORK_STOPS = dt.timedelta(minutes=15)  # before the clock: the issues are raised after the last step
TRIAGE_AT = dt.timedelta(minutes=30)  # before the clock


@dataclass(frozen=True)
class LoopSeed:
    """What the demo's loop holds after seeding, judged at its clock."""

    data_end: dt.datetime
    cases_opened: int
    clock: dt.datetime
    joined: int = 0
    steps: int = 0
    worked: int = 0
    resolved: int = 0
    reopened: int = 0
    followed_up: int = 0
    open: int = 0
    overdue: int = 0
    unassigned: int = 0
    issues: int = 0
    playbook_cases: int = 0
    playbook_holdout: int = 0

    def sentence(self) -> str:
        """The seeded loop in one line."""
        every = self.cases_opened + self.playbook_cases  # the status counts cover both kinds of case
        return (
            f"{every:,} cases over {WEEKS} weeks ({self.cases_opened:,} opened by the rules, "
            f"{self.playbook_cases:,} by playbooks; {self.resolved:,} resolved, {self.open:,} open, "
            f"{self.overdue:,} overdue, {self.unassigned:,} unassigned), {self.issues} systemic issues; the "
            f"loop's clock starts at {self.clock:%Y-%m-%d %H:%M}"
        )


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


def loop_start(end: dt.datetime) -> dt.datetime:
    """The loop's clock for data ending at `end`: 09:00 on the data's last day, the simulation's window end
    at the latest (its interactions run on a day or two past it with callbacks and follow-ups; the loop
    sees those as its clock passes them), so the day before is a whole day of data."""
    return dt.datetime.combine(min(end.date(), TRUTH.window_end), dt.time(9))


def timeline(clock: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """When the rules ran ('rules') and the playbooks ('playbooks'), in order, up to the clock."""
    first = clock.date() - dt.timedelta(weeks=WEEKS)
    days = (clock.date() - first).days
    runs = [
        (dt.datetime.combine(first + dt.timedelta(days=d), dt.time(RULES_HOUR)), "rules") for d in range(days)
    ]
    runs += [(clock, "rules")]
    runs += [
        (dt.datetime.combine(clock.date() - dt.timedelta(weeks=w), dt.time(7)), "playbooks")
        for w in PLAYBOOK_WEEKS_BEFORE
    ]
    return sorted(runs)


def _refuse_seeded(store: Store) -> None:
    """Seeding twice would open the cases again and double the history: refused in one sentence."""
    with store.engine.connect() as conn:
        held = conn.execute(sa.text("SELECT COUNT(*) FROM cases")).scalar() or 0
        assigned = conn.execute(sa.text("SELECT COUNT(*) FROM playbook_assignments")).scalar() or 0
    if held or assigned:
        raise CxgapError(
            f"This store's closed loop already holds {held:,} cases and {assigned:,} playbook assignments; "
            "the demo's loop is seeded only into a new demo store (cxgap demo)."
        )


class _Plan:
    """The steps planned so far, taken in time order as the calendar advances."""

    def __init__(self, desk: Desk, staff: Staff, settings: Settings, seed: int) -> None:
        self.desk, self.staff, self.seed = desk, staff, seed
        self.root_causes = tuple(settings.cases.root_causes)
        self._heap: list[tuple[dt.datetime, int, Step]] = []
        self._n = 0

    def opened(self, rows: list[dict[str, object]]) -> None:
        self.desk.add(rows)
        for row in rows:
            for step in plan_case(row, self.staff, self.root_causes, self.seed):
                heapq.heappush(self._heap, (step.at, self._n, step))
                self._n += 1

    def until(self, moment: dt.datetime) -> None:
        while self._heap and self._heap[0][0] <= moment:
            self.desk.apply(heapq.heappop(self._heap)[2])


def _counts(store: Store, clock: dt.datetime) -> dict[str, int]:
    """What the seeded cases hold at the clock, by `LoopSeed` field."""
    sql = (
        "SELECT SUM(CASE WHEN first_action_at IS NOT NULL THEN 1 ELSE 0 END) AS worked, "
        "SUM(CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END) AS resolved, "
        "SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) AS reopened, "
        "SUM(CASE WHEN follow_up_score IS NOT NULL THEN 1 ELSE 0 END) AS followed_up, "
        "SUM(CASE WHEN status IN ('open', 'in_progress') THEN 1 ELSE 0 END) AS open, "
        "SUM(CASE WHEN status IN ('open', 'in_progress') AND due_at < :now THEN 1 ELSE 0 END) AS overdue, "
        "SUM(CASE WHEN status IN ('open', 'in_progress') AND owner IS NULL THEN 1 ELSE 0 END) AS unassigned, "
        "SUM(CASE WHEN trigger_kind = 'health' THEN 1 ELSE 0 END) AS playbook_cases, "
        "(SELECT COUNT(*) FROM playbook_assignments WHERE arm = 'holdout') AS playbook_holdout "
        "FROM cases"
    )
    with store.engine.connect() as conn:
        row = conn.execute(sa.text(sql), {"now": clock}).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def seed_loop(store: Store, settings: Settings, *, seed: int = 42) -> LoopSeed:
    """Give a new demo store its calendar, its people (`DEMO_STAFF`), eight weeks of cases opened by its
    rules and worked by its people, its playbook runs and its systemic issues; refused on a store whose
    loop already holds cases."""
    _refuse_seeded(store)
    end = data_end(store)
    clock = loop_start(end)
    _add_staff(store)
    set_loop_calendar(store, clock)
    staff = Staff.of(DEMO_STAFF)
    desk = Desk(redacted_vocabulary(store, vocabulary(staff, tuple(settings.cases.root_causes))))
    plan, engine = _Plan(desk, staff, settings, seed), Engine(store)
    since, opened, joined = dt.datetime.combine(clock.date() - dt.timedelta(weeks=WEEKS), dt.time()), 0, 0
    for at, kind in timeline(clock):
        plan.until(min(at, clock - WORK_STOPS))
        desk.write(store)
        if kind == "rules":
            run = cases.open_cases(store, settings, since=since, now=at)
            since, opened, joined = at, opened + run.total, joined + run.total_joined
            plan.opened(stored_cases(store, "batch_id = :run", {"run": run.run_id}))
        elif run_demo_playbooks(store, engine, settings, at):
            plan.opened(stored_cases(store, "trigger_kind = 'health' AND created_at = :at", {"at": at}))
    _triage(desk, staff, clock)
    desk.write(store)
    issues = raise_demo_issues(store, engine, settings, staff.leads, clock)
    counts = _counts(store, clock)
    return LoopSeed(end, opened, clock, joined=joined, steps=desk.steps, issues=len(issues), **counts)


def _add_staff(store: Store) -> None:
    """The demo's people, except those the store already has (a demo rewritten into the same store)."""
    with store.engine.connect() as conn:
        known = {str(r[0]) for r in conn.execute(sa.text("SELECT user_id FROM users"))}
    for name, (role, team) in DEMO_STAFF.items():
        if name not in known:
            add_user(store, name, role, team)


LOGS = ("case_events", "issue_events")  # append-only: PostgreSQL refuses DELETE row by row
LOOP_TABLES = ("case_triggers", "systemic_issues", "playbook_assignments", "notifications")


def reset_loop(store: Store) -> None:
    """Forget a previous demo's loop (its case history, triggers, issues, playbook assignments, queued
    notifications and calendar) after `write_demo` replaced the data and its cases, so the new demo's loop
    is seeded from scratch; the people and their passwords stay. The audit logs are emptied whole
    (TRUNCATE): they belong to the simulated company just discarded, in a store `write_demo` only writes
    when it holds no imported data."""
    with store.begin() as conn:
        for table in LOGS:
            conn.execute(sa.text(f"TRUNCATE {table}"))
        for table in LOOP_TABLES:
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(sa.text("DELETE FROM store_meta WHERE name = :n"), {"n": CLOCK_KEY})


def _triage(desk: Desk, staff: Staff, clock: dt.datetime) -> None:
    """The morning triage and hand-out just before the clock (see `triage_steps`, `own_steps`)."""
    at = clock - TRIAGE_AT
    rows = [dict(r) for r in desk.rows.values()]
    for step in triage_steps(rows, staff, clock, at):
        desk.apply(step)
    rows = [dict(r) for r in desk.rows.values()]
    for step in own_steps(rows, staff, at + dt.timedelta(minutes=5)):
        desk.apply(step)
