"""The loop's events, found from the store at the loop's clock: a case assigned (to an owner, or to a team
when it has none), a case due soon, a case gone overdue, a playbook run. Each occurrence has a stable key
(the audit line of the assignment, the case and its deadline, the run), so finding it again finds the same
occurrence, and the outbox delivers it once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from cxgap.config import Settings
from cxgap.notify.alerts import AlertFacts
from cxgap.notify.messages import CaseFacts, Message, case_message, link, plain_message
from cxgap.notify.people import Person, analysts, case_people

OPEN = "('open', 'in_progress')"
CASE_COLUMNS = "c.case_id, c.touchpoint, c.team, c.owner, c.status, c.due_at, c.summary"


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: who may hear of it, the team it concerns (webhooks filter on it)."""

    event: str
    key: str
    team: str | None
    people: tuple[Person, ...]
    message: Message


def _facts(row: sa.Row[object]) -> CaseFacts:
    m = row._mapping
    return CaseFacts(
        m["case_id"], m["touchpoint"], m["team"], m["owner"], m["status"], m["due_at"], m["summary"]
    )


def _case_occurrence(
    event: str, key: str, case: CaseFacts, people: list[Person], base_url: str, with_lead: bool = False
) -> Occurrence:
    chosen = case_people(people, case.team, case.owner, with_lead=with_lead)
    return Occurrence(event, key, case.team, tuple(chosen), case_message(event, case, base_url))


def assigned(
    conn: sa.Connection, now: dt.datetime, settings: Settings, people: list[Person]
) -> list[Occurrence]:
    """Open cases created or assigned within the lookback: the latest such audit line of each is the
    occurrence (reassigning a case later is a new one)."""
    since = now - dt.timedelta(hours=settings.notify.lookback_hours)
    sql = (
        f"SELECT e.event_id, {CASE_COLUMNS} FROM case_events e JOIN cases c ON c.case_id = e.case_id "
        f"WHERE e.action IN ('created', 'assigned') AND e.happened_at >= :since AND c.status IN {OPEN} "
        "ORDER BY c.case_id, e.happened_at, e.event_id"
    )
    latest: dict[str, sa.Row[object]] = {}
    for row in conn.execute(sa.text(sql), {"since": since}):
        latest[row.case_id] = row  # ordered: the last one per case stays
    base = settings.notify.base_url
    return [
        _case_occurrence("case_assigned", row.event_id, _facts(row), people, base)
        for row in latest.values()
        if row.team or row.owner
    ]


def deadlines(
    conn: sa.Connection, now: dt.datetime, settings: Settings, people: list[Person]
) -> list[Occurrence]:
    """Open cases due within `due_within_hours`, and those whose deadline passed within the lookback (an
    overdue case also tells its team's lead). The key is the case and its deadline: a new deadline is a
    new occurrence."""
    notify = settings.notify
    params = {
        "now": now,
        "soon": now + dt.timedelta(hours=notify.due_within_hours),
        "since": now - dt.timedelta(hours=notify.lookback_hours),
    }
    sql = (
        f"SELECT {CASE_COLUMNS} FROM cases c WHERE c.status IN {OPEN} AND c.due_at IS NOT NULL "
        "AND c.due_at > :since AND c.due_at <= :soon ORDER BY c.due_at, c.case_id"
    )
    found = []
    for row in conn.execute(sa.text(sql), params):
        case = _facts(row)
        assert case.due_at is not None
        overdue = case.due_at <= now
        event = "case_overdue" if overdue else "case_due"
        key = f"{case.case_id}@{case.due_at.isoformat()}"
        found.append(_case_occurrence(event, key, case, people, notify.base_url, with_lead=overdue))
    return found


def playbook_runs(
    conn: sa.Connection, now: dt.datetime, settings: Settings, people: list[Person]
) -> list[Occurrence]:
    """Playbook runs within the lookback, one occurrence per run and playbook: the admins and analysts
    and the lead of the playbook's team hear how many customers got a case and how many were held out."""
    since = now - dt.timedelta(hours=settings.notify.lookback_hours)
    sql = (
        "SELECT a.run_id, a.playbook, max(c.team) AS team, "
        "sum(CASE WHEN a.arm = 'treated' THEN 1 ELSE 0 END) AS treated, "
        "sum(CASE WHEN a.arm = 'holdout' THEN 1 ELSE 0 END) AS held_out "
        "FROM playbook_assignments a LEFT JOIN cases c ON c.case_id = a.case_id "
        "WHERE a.assigned_at >= :since GROUP BY a.run_id, a.playbook ORDER BY a.playbook, a.run_id"
    )
    found = []
    for row in conn.execute(sa.text(sql), {"since": since}):
        configured = settings.playbooks.get(row.playbook)
        team = row.team or (configured.team if configured else None)
        leads = [p for p in people if p.role == "team_lead" and p.team == team]
        subject = f"Playbook {row.playbook} ran: {int(row.treated)} cases for team {team or 'none'}"
        lines = [
            f"Customers given a case: {int(row.treated)}",
            f"Customers held out on purpose (to measure the effect): {int(row.held_out)}",
            f"Team: {team or 'none'}",
        ]
        url = link(settings.notify.base_url, f"cases?rule={row.playbook}")
        message = plain_message(subject, lines, url, "Open its cases")
        audience = tuple(dict.fromkeys(analysts(people) + leads))
        found.append(Occurrence("playbook_run", f"{row.playbook}/{row.run_id}", team, audience, message))
    return found


def emerging(
    alerts: tuple[AlertFacts, ...], now: dt.datetime, settings: Settings, people: list[Person]
) -> list[Occurrence]:
    """Emerging-issue alerts whose period ended within the lookback, told to the admins and analysts: the
    theme and counts, never a text."""
    since = now - dt.timedelta(hours=settings.notify.lookback_hours)
    url = link(settings.notify.base_url, "text")
    found = []
    for alert in alerts:
        if alert.ends < since or dt.datetime.fromisoformat(alert.period) > now:
            continue
        rise = "more negative" if alert.kind == "negativity" else "more frequent"
        message = plain_message(
            f"Emerging issue: {alert.theme} is {rise}", [alert.sentence], url, "See the text page"
        )
        found.append(Occurrence("emerging_issue", alert.key, None, tuple(analysts(people)), message))
    return found
