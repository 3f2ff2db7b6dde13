"""Users and API tokens. A token is `cxg_<id>_<secret>`: the id finds the row, only the SHA-256 of the
secret is stored (the secret is 256 random bits, so a fast hash is safe where a password would need a slow
one), and the comparison takes constant time. A revoked token or a disabled user is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from cxgap.errors import CxgapError
from cxgap.store import Store

ROLES = {
    "admin": "everything, including users and tokens",
    "analyst": "reads everything, works every case, runs the rules, ingests",
    "team_lead": "reads and works their team's cases, assigns them within the team, sees the team's accountability",
    "team_member": "reads and works only their team's cases",
    "viewer": "reads the aggregates (gaps, scores, the loop's accountability), no customer-level data, changes nothing",
}


TEAM_ROLES = ("team_lead", "team_member")  # roles that see only their own team's cases


class AccessDenied(CxgapError):
    """A missing, unknown, revoked or malformed token (HTTP 401)."""


class Forbidden(AccessDenied):
    """A valid token whose role may not do this (HTTP 403)."""


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    user_id: str
    role: str
    team: str | None
    token_id: str

    @property
    def scope(self) -> str | None:
        """The team whose cases alone this principal may see (None: all)."""
        return self.team if self.role in TEAM_ROLES else None

    def require(self, *roles: str) -> None:
        """Refuse unless the principal has one of `roles`."""
        if self.role not in roles:
            raise Forbidden(
                f"User {self.user_id} ({self.role}) may not do this; it needs {' or '.join(roles)}."
            )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


EMAIL_FORM = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(address: str) -> str:
    """A person's e-mail address, trimmed, or one sentence saying why it is not one."""
    address = address.strip()
    if len(address) > 320 or not EMAIL_FORM.match(address):
        raise CxgapError(f"'{address[:80]}' is not an e-mail address (like name@example.com).")
    return address


def add_user(
    store: Store, user_id: str, role: str, team: str | None = None, *, email: str | None = None
) -> None:
    """Add a user; team members and team leads need a team; `email` is where their notifications go."""
    if role not in ROLES:
        raise CxgapError(f"role = '{role}' is not one of {', '.join(ROLES)}.")
    if role in TEAM_ROLES and not team:
        raise CxgapError(f"User {user_id} is a {role.replace('_', ' ')} and needs --team.")
    address = check_email(email) if email is not None else None
    with store.begin() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM users WHERE user_id = :u"), {"u": user_id}).first()
        if exists:
            raise CxgapError(f"There is already a user {user_id!r}.")
        conn.execute(
            sa.text(
                "INSERT INTO users (user_id, role, team, email, created_at) VALUES (:u, :r, :t, :e, :now)"
            ),
            {"u": user_id, "r": role, "t": team, "e": address, "now": _now()},
        )


def set_email(store: Store, user_id: str, email: str | None) -> None:
    """Set (or, with None, remove) the address a user's notifications go to."""
    address = check_email(email) if email is not None else None
    with store.begin() as conn:
        changed = conn.execute(
            sa.text("UPDATE users SET email = :e WHERE user_id = :u RETURNING user_id"),
            {"e": address, "u": user_id},
        ).first()
    if changed is None:
        raise CxgapError(f"There is no user {user_id!r}; add one with `cxgap users add`.")


def issue_token(store: Store, user_id: str) -> str:
    """A new token for a user; the only time its secret is ever shown."""
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with store.begin() as conn:
        user = conn.execute(
            sa.text("SELECT disabled_at FROM users WHERE user_id = :u"), {"u": user_id}
        ).first()
        if user is None:
            raise CxgapError(f"There is no user {user_id!r}; add one with `cxgap users add`.")
        conn.execute(
            sa.text(
                "INSERT INTO api_tokens (token_id, user_id, secret_hash, created_at) VALUES (:id, :u, :h, :now)"
            ),
            {"id": token_id, "u": user_id, "h": _digest(secret), "now": _now()},
        )
    return f"cxg_{token_id}_{secret}"


def revoke_token(store: Store, token_id: str) -> None:
    """Revoke a token by its id (the part after `cxg_`); revoking twice is harmless."""
    token_id = token_id.removeprefix("cxg_").split("_", 1)[0]
    with store.begin() as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM api_tokens WHERE token_id = :id"), {"id": token_id}
        ).first()
        if found is None:
            raise CxgapError(f"There is no token {token_id!r}.")
        conn.execute(
            sa.text("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, :now) WHERE token_id = :id"),
            {"id": token_id, "now": _now()},
        )


BEARER_FORM = "send it as 'Authorization: Bearer cxg_<id>_<secret>'"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case, one space, one
    token); None without the header. Anything else is refused rather than guessed at, so a token pasted
    without its scheme or with extra words never passes."""
    if authorization is None:
        return None
    scheme, space, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not space or not token or any(c.isspace() for c in token):
        raise AccessDenied(f"The Authorization header is not understood; {BEARER_FORM}.")
    return token


def authenticate(store: Store, token: str | None) -> Principal:
    """The principal a bearer token stands for, or AccessDenied."""
    if not token:
        raise AccessDenied("This needs an API token: send 'Authorization: Bearer cxg_...'.")
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "cxg":
        raise AccessDenied("That is not a cxgap API token (they look like cxg_<id>_<secret>).")
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT t.secret_hash, t.revoked_at, u.user_id, u.role, u.team, u.disabled_at "
                "FROM api_tokens t JOIN users u ON u.user_id = t.user_id WHERE t.token_id = :id"
            ),
            {"id": parts[1]},
        ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(parts[2])):
        raise AccessDenied("Unknown API token.")
    if row.revoked_at is not None or row.disabled_at is not None:
        raise AccessDenied("This API token was revoked.")
    return Principal(row.user_id, row.role, row.team, parts[1])


def list_users(store: Store) -> pd.DataFrame:
    """Users with their role, team, e-mail address and live token count."""
    with store.engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(
                sa.text(
                    "SELECT u.user_id, u.role, u.team, u.email, u.created_at, u.disabled_at, "
                    "count(t.token_id) FILTER (WHERE t.revoked_at IS NULL) AS live_tokens "
                    "FROM users u LEFT JOIN api_tokens t ON t.user_id = u.user_id "
                    "GROUP BY u.user_id, u.role, u.team, u.email, u.created_at, u.disabled_at ORDER BY u.user_id"
                )
            )
            .mappings()
            .all()
        )
