"""How the demo company's people work a case, planned when the case opens (deterministic from the seed and
the case id): who triages it to another team, who takes it and when, how long it takes, the root cause
they find, a note, a reopening, the customer's follow-up answer and the close.

Root causes follow what the simulation planted (cxgap.demo.truth, cxgap.demo.text): late engineers are
staffing, billing errors a system fault, the app's log-in failures after its release a product fault,
unsolved faults a training gap (first-contact resolution below its standard), slow callbacks the callback
policy (a standard set far from what customers expect), repeat contacts a process fault; one case in five
gets another cause, as real coding is noisy. A step planned after the loop's clock has not happened yet:
the case is still open or in progress there, which is what fills the queues.
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from cxgap.demo.loop_work import Step
from cxgap.demo.text import planted_topic

CAUSE_OF_TOPIC = {
    "installation_late": "staffing",
    "support_unresolved": "training",
    "repeat_contact": "process",
    "wait_time": "staffing",
    "billing_error": "system",
    "app_login": "product",
}
CAUSE_OF_REASON = {
    "fault": "training",
    "follow_up": "policy",
    "move": "process",
    "speed": "third_party",
    "billing_question": "process",
    "app_help": "product",
    "bill_error": "system",
    "bill_question": "process",
    "app_login": "product",
}
# a support case a field visit would settle goes to field service (share of such cases)
FIELD_REASONS = {"move": 1.0, "fault": 0.5, "speed": 0.4}
# a cx case about support goes to support
SUPPORT_TOPICS = ("support_unresolved", "repeat_contact", "wait_time")
NOTES = {
    "staffing": "Engineer rebooked for the next free slot; rota is short this week.",
    "training": "Walked the customer through the fix; flagged the call for coaching.",
    "process": "Merged the duplicate requests and set one owner for the customer.",
    "system": "Billing correction raised; the invoice run repeated the charge.",
    "product": "Reproduced with the current app version; workaround sent.",
    "policy": "Customer expected a same-day callback; our standard is 24 hours.",
    "third_party": "Line test passed; wholesale provider ticket opened.",
    "other": "Called the customer back and agreed next steps.",
}
FOLLOW_UP_ACTOR = "follow_up_survey"
ASSIGNED_SHARE = 0.9  # the rest wait in the team's unassigned queue
STUCK_SHARE = 0.07  # started but waiting on something (a part, the customer) past the clock
REOPEN_SHARE = 0.06
FOLLOW_UP_SHARE = 0.45
NOTE_SHARE = 0.35
OPENS, OFFICE = dt.time(8), dt.timedelta(hours=10)
REOPEN_NOTE = "The customer called again: not fixed."
TRIAGE_NOTE = "Handed over at the morning triage to even out the queues."


@dataclass(frozen=True)
class Staff:
    """The demo's people by team: the lead who triages and hands out, and who takes cases."""

    leads: dict[str, str]
    workers: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, people: dict[str, tuple[str, str]]) -> Staff:
        leads = {team: name for name, (role, team) in people.items() if role == "team_lead"}
        workers: dict[str, list[str]] = {}
        for name, (_role, team) in people.items():
            workers.setdefault(team, []).append(name)
        return cls(leads, {team: tuple(names) for team, names in workers.items()})


def _cause(preferred: str, root_causes: tuple[str, ...], rng: np.random.Generator) -> str:
    """The planted cause (when the configured list has it), else 'other', else the list's first; one in
    five coded as something else."""
    if rng.random() < 0.2:
        return str(rng.choice(root_causes))
    if preferred in root_causes:
        return preferred
    return "other" if "other" in root_causes else root_causes[0]


def reason_of(summary: str) -> str | None:
    """The interaction's reason in a rule's summary ('Unresolved call about fault')."""
    return (
        summary.rsplit(" about ", 1)[1].strip()
        if summary.startswith("Unresolved") and " about " in summary
        else None
    )


@functools.lru_cache(maxsize=4096)
def topic_of(summary: str) -> str | None:
    """The planted topic of a case's summary (summaries repeat: each is searched once)."""
    return planted_topic(summary)


def root_cause_for(summary: str | None, root_causes: tuple[str, ...], rng: np.random.Generator) -> str:
    """The root cause the owner finds, from what the case is about."""
    text = summary or ""
    topic = topic_of(text)
    preferred = CAUSE_OF_TOPIC.get(topic or "") or CAUSE_OF_REASON.get(reason_of(text) or "") or "other"
    return _cause(preferred, root_causes, rng)


def handoff(team: str | None, summary: str | None, rng: np.random.Generator) -> str | None:
    """The team a case is triaged to, when its first team is the wrong one."""
    text = summary or ""
    reason, topic = reason_of(text), topic_of(text)
    if team == "support" and reason in FIELD_REASONS and rng.random() < FIELD_REASONS[reason]:
        return "field_service"
    if team == "cx" and topic == "installation_late":
        return "field_service"
    if team == "cx" and topic in SUPPORT_TOPICS:
        return "support"
    return None


def _hours(rng: np.random.Generator, median: float, sigma: float = 0.8) -> dt.timedelta:
    return dt.timedelta(hours=float(median * np.exp(sigma * rng.standard_normal())))


def case_rng(seed: int, case_id: str) -> np.random.Generator:
    """A generator for one case: its plan depends on the seed and its id, not on the order of planning."""
    return np.random.default_rng([seed, zlib.crc32(case_id.encode())])


def office(at: dt.datetime) -> dt.datetime:
    """`at`, or when it falls outside office hours (08:00-18:00), a moment in the first hour of the next
    office period (the night squeezed into it, in order): nobody picks up a case at midnight."""
    start = dt.datetime.combine(at.date(), OPENS)
    if at < start:
        return start + (at - dt.datetime.combine(at.date(), dt.time())) / 8
    if at >= start + OFFICE:
        return start + dt.timedelta(days=1) + (at - start - OFFICE) / 14
    return at


def plan_case(row: dict[str, object], staff: Staff, root_causes: tuple[str, ...], seed: int) -> list[Step]:
    """Every step the case's people will take, at their moments (some after the clock: not yet taken)."""
    case_id, opened = str(row["case_id"]), row["created_at"]
    assert isinstance(opened, dt.datetime)
    rng = case_rng(seed, case_id)
    team, summary = row["team"], row["summary"]
    steps: list[Step] = []

    def take(after: dt.timedelta, actor: str, action: str, **what: object) -> None:
        moment = office((steps[-1].at if steps else opened) + after)
        steps.append(Step(moment, case_id, actor, action, **what))  # type: ignore[arg-type]

    moved = handoff(
        team if isinstance(team, str) else None, summary if isinstance(summary, str) else None, rng
    )
    if moved is not None and isinstance(team, str) and team in staff.leads:
        take(dt.timedelta(hours=float(rng.uniform(0.3, 4))), staff.leads[team], "assign", team=moved)
        team = moved
    if not isinstance(team, str) or team not in staff.workers or rng.random() > ASSIGNED_SHARE:
        return steps  # nobody of the team has taken it yet
    owner = str(rng.choice(staff.workers[team]))
    take(_hours(rng, 2), staff.leads.get(team, owner), "assign", owner=owner)
    take(_hours(rng, 3), owner, "start")
    cause = root_cause_for(summary if isinstance(summary, str) else None, root_causes, rng)
    if rng.random() < NOTE_SHARE:
        take(_hours(rng, 4), owner, "note", note=NOTES.get(cause, NOTES["other"]))
    if rng.random() < STUCK_SHARE:
        return steps  # waiting on something: still in progress at the clock
    take(_hours(rng, 10), owner, "resolve", root_cause=cause)
    if rng.random() < REOPEN_SHARE:
        take(dt.timedelta(hours=float(rng.uniform(24, 96))), owner, "reopen", note=REOPEN_NOTE)
        take(_hours(rng, 12), owner, "resolve", root_cause=cause)
    if rng.random() < FOLLOW_UP_SHARE:
        score = float(np.clip(np.round(rng.normal(7.0, 2.2)), 0, 10))
        take(dt.timedelta(hours=float(rng.uniform(48, 120))), FOLLOW_UP_ACTOR, "follow_up", score=score)
        take(dt.timedelta(hours=float(rng.uniform(2, 24))), owner, "close")
    else:
        take(dt.timedelta(hours=float(rng.uniform(120, 200))), owner, "close")
    return steps


def vocabulary(staff: Staff, root_causes: tuple[str, ...]) -> list[str]:
    """Every text a planned step can carry."""
    names = [*staff.leads.values(), *(n for names in staff.workers.values() for n in names)]
    teams = list(staff.workers)
    notes = [*NOTES.values(), REOPEN_NOTE, TRIAGE_NOTE]
    return [*names, *teams, *root_causes, *notes, FOLLOW_UP_ACTOR]


def _open_at(row: dict[str, object]) -> bool:
    return row["status"] in ("open", "in_progress")


def _kinds(row: dict[str, object], clock: dt.datetime) -> tuple[bool, bool]:
    """(overdue, due today) at the clock, as the inbox judges them."""
    due = row["due_at"]
    if not _open_at(row) or not isinstance(due, dt.datetime):
        return False, False
    midnight = dt.datetime.combine(clock.date(), dt.time()) + dt.timedelta(days=1)
    return due < clock, clock <= due < midnight


# the teams whose overdue and due-today queues the morning triage keeps filled, and who hands them work
TRIAGED = {"support": "cx", "field_service": "support"}


def _donors(
    rows: list[dict[str, object]], team: str, kind: int, clock: dt.datetime, at: dt.datetime
) -> list[dict[str, object]]:
    """The donor team's open cases of `kind` (0 overdue, 1 due today) that could be handed to `team` at
    `at`, field-visit cases first, leaving the donor at least two of them."""
    donor = TRIAGED[team]
    found = [
        r
        for r in rows
        if r["team"] == donor
        and _kinds(r, clock)[kind]
        and isinstance(r["updated_at"], dt.datetime)
        and r["updated_at"] < at
    ]
    found.sort(key=lambda r: (reason_of(str(r["summary"] or "")) not in FIELD_REASONS, str(r["case_id"])))
    return found[: max(len(found) - 2, 0)]


def triage_steps(
    rows: list[dict[str, object]], staff: Staff, clock: dt.datetime, at: dt.datetime
) -> list[Step]:
    """The morning triage at `at`, just before the clock: support or field service, short of two overdue
    or two due-today cases, gets some handed over (field service takes faults and moves from support
    first, support takes cx's), so their queues are not empty on the demo's day."""
    steps: list[Step] = []
    for team in TRIAGED:
        held = [r for r in rows if r["team"] == team]
        for kind in (0, 1):
            short = max(2 - sum(_kinds(r, clock)[kind] for r in held), 0)
            for case in _donors(rows, team, kind, clock, at)[:short]:
                lead, case_id = staff.leads.get(TRIAGED[team], "rules"), str(case["case_id"])
                steps.append(Step(at, case_id, lead, "assign", team=team))
                steps.append(Step(at + dt.timedelta(minutes=1), case_id, lead, "note", note=TRIAGE_NOTE))
                case["team"] = team
                held.append(case)
    return steps


def own_steps(rows: list[dict[str, object]], staff: Staff, at: dt.datetime) -> list[Step]:
    """Each of the demo's people holds at least one open case: one without an owner (or the busiest
    colleague's) is given to whoever has none, by the team's lead."""
    steps: list[Step] = []
    for team, people in staff.workers.items():
        open_cases = [
            r
            for r in rows
            if r["team"] == team
            and _open_at(r)
            and isinstance(r["updated_at"], dt.datetime)
            and r["updated_at"] < at
        ]
        for person in people:
            if any(r["owner"] == person for r in open_cases):
                continue
            held = Counter(str(r["owner"]) for r in open_cases if r["owner"] is not None)
            spare = sorted(
                open_cases, key=lambda r: (r["owner"] is not None, -held[str(r["owner"])], str(r["case_id"]))
            )
            if spare:
                spare[0]["owner"] = person
                steps.append(
                    Step(at, str(spare[0]["case_id"]), staff.leads.get(team, person), "assign", owner=person)
                )
    return steps
