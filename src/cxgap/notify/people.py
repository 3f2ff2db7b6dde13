"""Who may hear of what: the people with an e-mail address, and the rule that a team member or lead hears
only of their own team's cases (an analyst or admin may see every case, a viewer none: cases name customers)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cxgap.access import TEAM_ROLES

ANALYSTS = ("admin", "analyst")


@dataclass(frozen=True)
class Person:
    """A user who can be told of something: their role, team and address."""

    user_id: str
    role: str
    team: str | None
    email: str

    def may_see(self, team: str | None) -> bool:
        """Whether a case of `team` is one this person may see (team roles: their own team's only; a viewer
        none, for cases name customers and quote them)."""
        if self.role == "viewer":
            return False
        return self.role not in TEAM_ROLES or (team is not None and self.team == team)


def staff(conn: sa.Connection) -> list[Person]:
    """Every user with an e-mail address whose access has not been withdrawn, by name."""
    rows = conn.execute(
        sa.text(
            "SELECT user_id, role, team, email FROM users "
            "WHERE email IS NOT NULL AND email <> '' AND disabled_at IS NULL ORDER BY user_id"
        )
    )
    return [Person(r.user_id, r.role, r.team, r.email) for r in rows]


def case_people(
    people: list[Person], team: str | None, owner: str | None, *, with_lead: bool = False
) -> list[Person]:
    """Whom a case concerns: its owner when it has one, else its team's members and lead; `with_lead` adds
    the team's lead (an overdue case is escalated). Nobody hears of a case they may not see."""
    if owner:
        chosen = [p for p in people if p.user_id == owner]
    else:
        chosen = [p for p in people if p.role in TEAM_ROLES and team is not None and p.team == team]
    if with_lead:
        chosen += [p for p in people if p.role == "team_lead" and p.team == team and p not in chosen]
    return [p for p in chosen if p.may_see(team)]


def analysts(people: list[Person]) -> list[Person]:
    """The admins and analysts: they watch the text and run the playbooks."""
    return [p for p in people if p.role in ANALYSTS]
