"""Browser sign-in for people: Argon2id password hashes, server-side sessions and a lockout.

The session id (256 random bits) lives only in the person's cookie; the store keeps its SHA-256, so a copy
of the database signs nobody in. A session ends after `idle` unused or `absolute` after sign-in, whichever
comes first. Five failed sign-ins for one user name within 15 minutes lock that name for 15 minutes, whether
or not the user exists, so the answer never tells which names are real. Every function takes `now` so tests
move the clock instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cxgap.access.tokens import AccessDenied, Principal
from cxgap.errors import CxgapError
from cxgap.store import Store

MIN_PASSWORD = 12
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
HASHER = PasswordHasher()
# verified against when the user does not exist, so a wrong name costs as long as a wrong password
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


class SignInFailed(AccessDenied):
    """A wrong user name or password, or a locked name: one sentence that does not say which."""


def utcnow() -> dt.datetime:
    """Now, as naive UTC (the store's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: derived from its id (an HMAC), so it needs no storage and no one without
    the cookie can compute it."""
    return hmac.new(session_id.encode(), b"cxgap-csrf", hashlib.sha256).hexdigest()


def check_password(password: str) -> None:
    """Refuse a password too short to resist guessing."""
    if len(password) < MIN_PASSWORD:
        raise CxgapError(f"A password needs at least {MIN_PASSWORD} characters.")


def set_password(store: Store, user_id: str, password: str) -> None:
    """Give a user a password for browser sign-in (only its Argon2id hash is kept)."""
    check_password(password)
    with store.begin() as conn:
        done = conn.execute(  # RETURNING: DuckDB reports no row count for an UPDATE
            sa.text("UPDATE users SET password_hash = :h WHERE user_id = :u RETURNING user_id"),
            {"h": HASHER.hash(password), "u": user_id},
        ).first()
        if done is None:
            raise CxgapError(f"There is no user {user_id!r}; add one with `cxgap users add`.")


def can_sign_in(store: Store) -> bool:
    """Whether any enabled person has a password, i.e. whether anyone can sign in to the pages."""
    with store.engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM users WHERE password_hash IS NOT NULL AND disabled_at IS NULL")
        ).scalar_one()
    return int(count) > 0


def sign_in(store: Store, user_id: str, password: str, now: dt.datetime) -> str:
    """Check a user name and password and open a session; its id (for the cookie) is returned, only its
    hash is stored. Refused with one sentence for a wrong pair, a disabled user or a locked name."""
    refused = SignInFailed("Wrong user name or password, or too many failed attempts: try again later.")
    with store.engine.connect() as conn:
        failures = conn.execute(
            sa.text("SELECT failed_at FROM sign_in_failures WHERE user_name = :u AND failed_at > :since"),
            {"u": user_id, "since": now - FAILURE_WINDOW - LOCKOUT},
        ).scalars()
        recent = sorted(failures)
        row = conn.execute(
            sa.text("SELECT password_hash, disabled_at FROM users WHERE user_id = :u"), {"u": user_id}
        ).first()
    if _locked(recent, now):
        raise refused
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    try:
        HASHER.verify(stored, password)
        ok = row is not None and row.password_hash is not None and row.disabled_at is None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        with store.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO sign_in_failures (failure_id, user_name, failed_at) VALUES (:i, :u, :t)"
                ),
                {"i": secrets.token_hex(16), "u": user_id[:128], "t": now},
            )
        raise refused
    session_id = secrets.token_urlsafe(32)
    with store.begin() as conn:
        conn.execute(sa.text("DELETE FROM sign_in_failures WHERE user_name = :u"), {"u": user_id})
        conn.execute(
            sa.text(
                "INSERT INTO web_sessions (session_hash, user_id, created_at, seen_at) VALUES (:h, :u, :t, :t)"
            ),
            {"h": _digest(session_id), "u": user_id, "t": now},
        )
    return session_id


def _locked(failures: list[dt.datetime], now: dt.datetime) -> bool:
    """Whether MAX_FAILURES failures fell within one FAILURE_WINDOW whose last failure is under LOCKOUT ago."""
    for i in range(len(failures) - MAX_FAILURES + 1):
        last = failures[i + MAX_FAILURES - 1]
        if last - failures[i] <= FAILURE_WINDOW and now - last < LOCKOUT:
            return True
    return False


def session_principal(
    store: Store, session_id: str, now: dt.datetime, idle: dt.timedelta, absolute: dt.timedelta
) -> Principal:
    """The person a session cookie stands for, marking the session seen; an expired session is deleted."""
    key = _digest(session_id)
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT s.created_at, s.seen_at, u.user_id, u.role, u.team, u.disabled_at "
                "FROM web_sessions s JOIN users u ON u.user_id = s.user_id WHERE s.session_hash = :h"
            ),
            {"h": key},
        ).first()
    if row is None:
        raise AccessDenied("Please sign in.")
    if row.disabled_at is not None or now - row.seen_at > idle or now - row.created_at > absolute:
        sign_out(store, session_id)
        raise AccessDenied("Your session has ended; please sign in again.")
    if now - row.seen_at > dt.timedelta(minutes=1):  # one write a minute at most, not one per request
        with store.begin() as conn:
            conn.execute(
                sa.text("UPDATE web_sessions SET seen_at = :t WHERE session_hash = :h"), {"t": now, "h": key}
            )
    return Principal(row.user_id, row.role, row.team, f"session:{key[:12]}")


def sign_out(store: Store, session_id: str) -> None:
    """End a session (signing out twice is harmless)."""
    with store.begin() as conn:
        conn.execute(sa.text("DELETE FROM web_sessions WHERE session_hash = :h"), {"h": _digest(session_id)})
