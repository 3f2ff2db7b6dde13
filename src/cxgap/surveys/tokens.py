"""Respondent tokens: the part of a survey link that says which invitation it is, signed so nobody can make
one up or change it. A token is URL-safe base64 of (expiry in epoch minutes, the invitation id, the first
16 bytes of an HMAC-SHA256 over both), about 50 characters for cxgap's 16-character invitation ids.

The signing secret is 32 random bytes kept in `store_meta` (`survey_secret`), made the first time anyone
asks: every server and command on one store signs and checks with the same secret, and a new store's links
never work on another. `read_token` refuses anything but an intact token with one sentence, `InvalidLink`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
import weakref

import sqlalchemy as sa

from cxgap.errors import CxgapError
from cxgap.store import Store

SECRET_NAME = "survey_secret"
TAG_BYTES = 16  # an HMAC-SHA256 truncated to 128 bits (RFC 2104 allows down to half its length)
MINUTE_BYTES = 4  # epoch minutes fit 4 bytes until the year 10136
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,200}")  # anything longer is not a token cxgap made
DOMAIN = b"cxgap survey link v1\x00"  # a signature for another purpose never reads as a link's
RETRIES = 6

_SECRETS: weakref.WeakKeyDictionary[Store, bytes] = weakref.WeakKeyDictionary()


class InvalidLink(CxgapError):
    """A survey link that cxgap did not make, or that was changed or cut short on the way."""

    def __init__(
        self, message: str = "This survey link is not valid; check that the whole link was copied."
    ) -> None:
        super().__init__(message)


def survey_secret(store: Store) -> bytes:
    """The store's signing secret, created once: two processes asking at the same time both insert if
    absent and then read back the one that won, so every link is signed with the same secret."""
    cached = _SECRETS.get(store)
    if cached is not None:
        return cached
    for attempt in range(RETRIES):
        try:
            with store.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO store_meta (name, value) VALUES (:n, :v) ON CONFLICT (name) DO NOTHING"
                    ),
                    {"n": SECRET_NAME, "v": secrets.token_hex(32)},
                )
            break
        except sa.exc.DBAPIError:  # DuckDB: another thread inserted it in the same instant
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.005 * 2**attempt)
    with store.engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT value FROM store_meta WHERE name = :n"), {"n": SECRET_NAME}
        ).scalar_one()
    secret = bytes.fromhex(str(value))
    _SECRETS[store] = secret
    return secret


def _minutes(moment: dt.datetime) -> int:
    """Epoch minutes of a naive-UTC (or aware) moment, rounded up: a token never outlives its row."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return -(-int(aware.timestamp()) // 60)


def _tag(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, DOMAIN + body, hashlib.sha256).digest()[:TAG_BYTES]


def sign_token(secret: bytes, invitation_id: str, expires_at: dt.datetime) -> str:
    """The token of an invitation's link: URL-safe, without padding, under 80 characters for ids up to
    about 20 characters."""
    body = _minutes(expires_at).to_bytes(MINUTE_BYTES, "big") + invitation_id.encode("utf-8")
    return base64.urlsafe_b64encode(body + _tag(secret, body)).rstrip(b"=").decode("ascii")


def read_link(secret: bytes, token: str) -> tuple[str, dt.datetime]:
    """The invitation id and the expiry (naive UTC) a token carries; `InvalidLink` for a token that was
    tampered with, cut short, or is not one at all (never any other error)."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise InvalidLink()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidLink() from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise InvalidLink()  # another spelling of the same bytes: only the one cxgap wrote is a link
    body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    if len(body) <= MINUTE_BYTES or not hmac.compare_digest(tag, _tag(secret, body)):
        raise InvalidLink()
    try:
        invitation_id = body[MINUTE_BYTES:].decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidLink() from None
    minutes = int.from_bytes(body[:MINUTE_BYTES], "big")
    return invitation_id, dt.datetime(1970, 1, 1) + dt.timedelta(minutes=minutes)


def read_token(secret: bytes, token: str) -> str:
    """The invitation id of an intact token (`InvalidLink` otherwise); its expiry is `read_link`'s."""
    return read_link(secret, token)[0]
