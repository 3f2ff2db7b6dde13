"""Who may use the API: users with a role (and a team for team members) and API tokens stored as hashes."""

from __future__ import annotations

from cxgap.access.tokens import (
    ROLES,
    AccessDenied,
    Forbidden,
    Principal,
    add_user,
    authenticate,
    issue_token,
    list_users,
    revoke_token,
)

__all__ = [
    "ROLES",
    "AccessDenied",
    "Forbidden",
    "Principal",
    "add_user",
    "authenticate",
    "issue_token",
    "list_users",
    "revoke_token",
]
