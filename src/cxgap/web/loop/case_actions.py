"""The case page's actions: which a case in each status offers, and one action read from its form and handed
to the workflow at the version the page read (the workflow refuses a stale one)."""

from __future__ import annotations

import datetime as dt
import math

from cxgap.access import Principal
from cxgap.api.dashboard import Dashboard
from cxgap.cases.workflow import ACTIONS as MOVES
from cxgap.cases.workflow import ALL_STATUSES, add_note, assign, record_follow_up, transition
from cxgap.errors import CxgapError
from cxgap.web.loop.shown import people

# action -> the statuses in which the page offers it (the workflow's own rules for the moves)
ACTIONS: dict[str, tuple[str, ...]] = {
    **{move: allowed for move, (allowed, _) in MOVES.items()},
    "follow_up": ("resolved", "closed"),
    "assign": ALL_STATUSES,
    "note": ALL_STATUSES,
}
DONE = {
    "start": "You started the case.",
    "resolve": "You resolved the case.",
    "close": "You closed the case.",
    "reopen": "You reopened the case.",
    "assign": "You assigned the case.",
    "note": "Your note is in the case's history.",
    "follow_up": "The customer's follow-up answer is recorded.",
}


def version_of(fields: dict[str, str]) -> int:
    """The version the page read (every form carries it)."""
    sent = fields.get("version", "")
    if not sent.isdigit():
        raise CxgapError("The form lacks the case's version; reload the case and try again.")
    return int(sent)


def score_of(fields: dict[str, str]) -> float:
    """The follow-up answer's score, 0 to 10."""
    sent = fields.get("score", "").strip()
    try:
        score = float(sent)
    except ValueError:
        raise CxgapError(f"score = '{sent[:20]}' is not a number; give the answer from 0 to 10.") from None
    if not math.isfinite(score) or not 0 <= score <= 10:
        raise CxgapError(f"score = {sent[:20]} is out of range; give the answer from 0 to 10.")
    return score


def owner_of(dashboard: Dashboard, who: Principal, fields: dict[str, str]) -> tuple[str, str | None]:
    """The person a case goes to, and the team that comes with them (a team member or lead gives cases
    within their team only, so the team stays; an analyst's choice moves the case to that person's team)."""
    known = {p.user_id: p for p in people(dashboard.store, who.scope)}
    owner = fields.get("owner", "")
    if owner not in known:
        raise CxgapError("Pick the person to assign the case to from the list.")
    return owner, known[owner].team if who.scope is None else None


def perform(
    dashboard: Dashboard,
    who: Principal,
    case_id: str,
    action: str,
    fields: dict[str, str],
    version: int,
    now: dt.datetime,
) -> None:
    """Hand one action to the workflow (which redacts what was typed and refuses a stale version)."""
    store, actor, scope = dashboard.store, who.user_id, who.scope
    note = fields.get("note", "").strip() or None
    if action in MOVES:
        root_cause = fields.get("root_cause") or None if action == "resolve" else None
        transition(
            store,
            case_id,
            action,
            actor,
            root_cause=root_cause,
            root_causes=tuple(dashboard.settings.cases.root_causes),
            note=note,
            version=version,
            team=scope,
            now=now,
        )
    elif action == "assign":
        owner, team = owner_of(dashboard, who, fields)
        assign(store, case_id, actor, owner=owner, team=team, version=version, scope=scope, now=now)
    elif action == "note":
        add_note(store, case_id, actor, note or "", team=scope, version=version, now=now)
    elif action == "follow_up":
        score = score_of(fields)
        record_follow_up(store, case_id, actor, score, team=scope, version=version, now=now)
    else:
        raise CxgapError(f"action = '{action[:40]}' is not an action on a case; choose {', '.join(ACTIONS)}.")
