"""The daily digest: once per person and loop-clock day, from `digest_hour` on, one e-mail with their open
cases, those due today and those overdue: the counts and the first few of each. Deadline events a person
moved into the digest (`in_digest`) are told here instead of at once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cxgap.access import TEAM_ROLES
from cxgap.config import Settings
from cxgap.notify.events import CASE_COLUMNS, OPEN, Occurrence
from cxgap.notify.messages import CaseFacts, Message, link, when
from cxgap.notify.people import Person
from cxgap.notify.prefs import Preference, preference_of

FIRST = 5  # cases listed per section; the rest are counted


def _concerns(person: Person, case: CaseFacts) -> bool:
    """A case in the person's digest: theirs, or (team roles) their team's unowned ones; a lead's whole team."""
    if not person.may_see(case.team):
        return False
    if case.owner == person.user_id:
        return True
    same_team = person.role in TEAM_ROLES and case.team == person.team
    return same_team and (case.owner is None or person.role == "team_lead")


def _open_cases(conn: sa.Connection, people: list[Person]) -> list[CaseFacts]:
    """The open cases any of `people` may find in their digest (owned by one, or of one's team)."""
    names = [p.user_id for p in people] or [""]
    teams = [p.team for p in people if p.team] or [""]
    sql = sa.text(
        f"SELECT {CASE_COLUMNS} FROM cases c WHERE c.status IN {OPEN} "
        "AND (c.owner IN :names OR c.team IN :teams) ORDER BY c.due_at, c.case_id"
    ).bindparams(sa.bindparam("names", expanding=True), sa.bindparam("teams", expanding=True))
    rows = conn.execute(sql, {"names": names, "teams": teams})
    return [CaseFacts(*row) for row in rows]


def _section(title: str, cases: list[CaseFacts]) -> list[str]:
    if not cases:
        return []
    lines = [f"{title} ({len(cases)}):"]
    for case in cases[:FIRST]:
        about = f": {case.summary[:120]}" if case.summary else ""
        lines.append(
            f"- {case.case_id} ({case.touchpoint or 'no touchpoint'}, team {case.team or 'none'}, "
            f"due {when(case.due_at)}){about}"
        )
    if len(cases) > FIRST:
        lines.append(f"- ... and {len(cases) - FIRST} more")
    return [*lines, ""]


def digest_message(person: Person, cases: list[CaseFacts], now: dt.datetime, base_url: str) -> Message:
    """One person's digest of `cases` (theirs, open) on the loop-clock day of `now`."""
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
    overdue = [c for c in cases if c.due_at is not None and c.due_at < now]
    today = [c for c in cases if c.due_at is not None and now <= c.due_at < tomorrow]
    counts = f"{len(cases)} open, {len(today)} due today, {len(overdue)} overdue"
    url = link(base_url, "cases")
    lines = [f"Good morning {person.user_id}: your cases on {now:%Y-%m-%d}: {counts}.", ""]
    lines += _section("Overdue", overdue) + _section("Due today", today) + _section("Open", cases)
    email = "\n".join([*lines, f"Your inbox: {url}", ""])
    subject = f"[cxgap] Your digest for {now:%Y-%m-%d}: {counts}"
    return Message(subject, email, "", url)


def digests(
    conn: sa.Connection,
    now: dt.datetime,
    settings: Settings,
    people: list[Person],
    chosen: dict[tuple[str, str], Preference],
) -> list[Occurrence]:
    """Today's digests, from `digest_hour` on (the key is the day: each person gets one a day), for
    everyone who keeps the digest on and has at least one open case."""
    if now.hour < settings.notify.digest_hour:
        return []
    readers = [p for p in people if preference_of(chosen, p.user_id, "digest").enabled]
    if not readers:
        return []
    cases = _open_cases(conn, readers)
    found = []
    for person in readers:
        theirs = [c for c in cases if _concerns(person, c)]
        if theirs:
            message = digest_message(person, theirs, now, settings.notify.base_url)
            found.append(Occurrence("digest", f"{now:%Y-%m-%d}", person.team, (person,), message))
    return found
