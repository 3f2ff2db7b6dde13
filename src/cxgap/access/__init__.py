"""Who may use cxgap: users with a role (and a team for team members), API tokens for systems and passwords
with sessions for people, all stored as hashes."""

from __future__ import annotations

from cxgap.access.sessions import SignInFailed, csrf_token, set_password, sign_in, sign_out
from cxgap.access.tokens import (
    ROLES,
    TEAM_ROLES,
    AccessDenied,
    Forbidden,
    Principal,
    add_user,
    authenticate,
    bearer_token,
    check_email,
    issue_token,
    list_users,
    revoke_token,
    set_email,
)

__all__ = [
    "ROLES",
    "TEAM_ROLES",
    "SignInFailed",
    "AccessDenied",
    "Forbidden",
    "Principal",
    "add_user",
    "authenticate",
    "csrf_token",
    "bearer_token",
    "check_email",
    "issue_token",
    "list_users",
    "revoke_token",
    "set_email",
    "set_password",
    "sign_in",
    "sign_out",
]
