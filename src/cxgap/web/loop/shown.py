"""How the loop's screens word what the services return: a deadline against the loop's clock ("due in 5 h",
"overdue by 2 d"), the people a case can be given to, and a case's form fields read from a page's POST.
Wording only: every judgement (what is overdue, who may see what) is the services'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request

from cxgap.access import TEAM_ROLES, list_users
from cxgap.store import Store

OPEN_STATUSES = ("open", "in_progress")


@dataclass(frozen=True)
class Deadline:
    """A case's deadline in words against the loop's clock, and its state for the page's colours."""

    text: str
    state: str  # "overdue", "soon" (within a day), "due", "met" (no longer open) or "none"
    seconds: int  # seconds left (negative: overdue), for the countdown the page keeps ticking


def duration(seconds: float) -> str:
    """A span in the largest units that read well: '45 min', '5 h 20 min', '3 d 4 h'."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def deadline(due_at: dt.datetime | None, status: str, now: dt.datetime) -> Deadline:
    """'due in ...' or 'overdue by ...' for an open case; what happened to the deadline otherwise."""
    if due_at is None:
        return Deadline("no deadline", "none", 0)
    left = (due_at - now).total_seconds()
    if status not in OPEN_STATUSES:
        return Deadline(f"was due {due_at:%Y-%m-%d %H:%M}", "met", int(left))
    if left < 0:
        return Deadline(f"overdue by {duration(left)}", "overdue", int(left))
    return Deadline(f"due in {duration(left)}", "soon" if left < 24 * 3600 else "due", int(left))


def when(at: dt.datetime | None) -> str:
    """A moment as the pages show it (to the minute)."""
    return "" if at is None else f"{at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class Person:
    """Someone a case can be given to: their user name and team."""

    user_id: str
    team: str


def people(store: Store, scope: str | None) -> list[Person]:
    """The people who work cases (team leads and members, not disabled), of one team when `scope` names it."""
    users = list_users(store)
    users = users[users["disabled_at"].isna()] if len(users) else users
    found = []
    for row in users.itertuples(index=False):
        if row.role in TEAM_ROLES and row.team:
            if scope is None or row.team == scope:
                found.append(Person(str(row.user_id), str(row.team)))
    return sorted(found, key=lambda p: (p.team, p.user_id))


async def posted(request: Request) -> dict[str, list[str]]:
    """A page form's urlencoded fields with every value (checkboxes send one name many times)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body, keep_blank_values=True)


def first(fields: dict[str, list[str]]) -> dict[str, str]:
    """Each field's first value, as the single-valued forms read them."""
    return {name: values[0] for name, values in fields.items() if values}
