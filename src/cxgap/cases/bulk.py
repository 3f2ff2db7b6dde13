"""Acting on many cases at once from the inbox: assign them, start them or close them.

Each case is its own conditional update and audit line (the workflow's), so one case that changed or is
not in a state the action allows is refused with its reason while the others go through; nothing is lost
and no case is changed twice by a repeated id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cxgap.cases.clock import store_now
from cxgap.cases.workflow import assign, transition
from cxgap.errors import CxgapError
from cxgap.store import Store

BULK_ACTIONS = ("assign", "start", "close")
MAX_BULK = 500


@dataclass(frozen=True)
class BulkResult:
    """The cases changed, and those refused with the reason (one sentence each)."""

    done: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]


def _check(
    case_ids: Sequence[str], action: str, owner: str | None, team: str | None, scope: str | None
) -> None:
    if action not in BULK_ACTIONS:
        raise CxgapError(f"'{action}' is not a bulk action; choose one of {', '.join(BULK_ACTIONS)}.")
    if not case_ids:
        raise CxgapError("Choose at least one case.")
    if len(case_ids) > MAX_BULK:
        raise CxgapError(f"{len(case_ids):,} cases at once is too many; choose at most {MAX_BULK}.")
    if action == "assign" and owner is None and team is None:
        raise CxgapError("Assigning cases needs a team, an owner or both.")
    if action == "assign" and team is not None and scope is not None and team != scope:
        raise CxgapError(f"Cases of team {scope} can be given to people of that team, not to team {team}.")


def bulk(
    store: Store,
    case_ids: Sequence[str],
    action: str,
    actor: str,
    *,
    owner: str | None = None,
    team: str | None = None,
    scope: str | None = None,
    root_causes: tuple[str, ...] = (),
    now: dt.datetime | None = None,
) -> BulkResult:
    """Apply `action` ("assign" to `owner` and/or `team`, "start" or "close") to each case, within `scope`
    (another team's case is refused as not found); the others still go through when one is refused."""
    _check(case_ids, action, owner, team, scope)
    at = now or store_now(store)
    done: list[str] = []
    refused: list[tuple[str, str]] = []
    for case_id in dict.fromkeys(case_ids):
        try:
            if action == "assign":
                assign(store, case_id, actor, team=team, owner=owner, scope=scope, now=at)
            else:
                transition(store, case_id, action, actor, root_causes=root_causes, team=scope, now=at)
        except CxgapError as refusal:
            refused.append((case_id, str(refusal)))
        else:
            done.append(case_id)
    return BulkResult(tuple(done), tuple(refused))
