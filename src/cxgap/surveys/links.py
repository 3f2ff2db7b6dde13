"""Respondent links: one invitation row per person asked (or per anonymous visitor), and the signed link
that opens it, `[notify] base_url` + `/s/<token>`. An invitation always points to the survey version that
was published when it was made, so an answer is stored with the wording its respondent saw."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.config import Settings
from cxgap.errors import CxgapError, NotFound
from cxgap.store import Store
from cxgap.store.models import table_of
from cxgap.surveys.tokens import sign_token, survey_secret

RECIPIENT_KINDS = ("customer", "staff", "anonymous")
AUDIENCE_KINDS = {"customers": ("customer", "anonymous"), "staff": ("staff", "anonymous")}


class SurveyClosed(CxgapError):
    """The survey takes no answers now: closed, or not yet published."""


@dataclass(frozen=True)
class Link:
    """An invitation's link: the id of its row, its token, the whole URL, and when it stops working."""

    invitation_id: str
    token: str
    url: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Published:
    """What an invitation needs to know of a survey: its audience and the version asked now."""

    name: str
    audience: str
    version: int


def published(conn: Connection, survey: str) -> Published:
    """The survey's published version (NotFound when there is no such survey, `SurveyClosed` when it is
    a draft or closed), read from the `surveys` row on the caller's connection."""
    row = conn.execute(
        sa.text("SELECT audience, status, published_version FROM surveys WHERE name = :n"), {"n": survey}
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no survey named '{survey}'; `cxgap surveys list` shows them.")
    if row.status == "closed":
        raise SurveyClosed(f"The survey '{survey}' is closed and takes no more answers.")
    if row.status != "published" or row.published_version is None:
        raise SurveyClosed(
            f"The survey '{survey}' is not published yet; publish it first (`cxgap surveys publish {survey}`)."
        )
    return Published(survey, str(row.audience), int(row.published_version))


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """A moment in naive UTC, as the store keeps times (an aware one is converted)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def url_of(settings: Settings, token: str) -> str:
    """The respondent page's address for a token."""
    return settings.notify.base_url.rstrip("/") + "/s/" + token


def new_invitation(
    store: Store,
    settings: Settings,
    survey: str,
    recipient_kind: str,
    recipient_id: str | None,
    reason: str,
    now: dt.datetime,
    trigger_id: str | None = None,
    touchpoint: str | None = None,
    status: str = "sent",
    conn: Connection | None = None,
) -> Link:
    """Insert one invitation to the survey's published version and return its link, valid for
    `[surveys] token_days`; `conn`: insert inside the caller's transaction (the inviter's)."""
    if recipient_kind not in RECIPIENT_KINDS:
        raise CxgapError(
            f"A survey recipient is one of {', '.join(RECIPIENT_KINDS)}, not '{recipient_kind}'."
        )
    if recipient_kind != "anonymous" and not recipient_id:
        raise CxgapError(f"An invitation to a {recipient_kind} needs the {recipient_kind}'s id.")
    now = naive_utc(now)
    secret = survey_secret(store)  # made once, before the caller's transaction writes anything
    with contextlib.nullcontext(conn) if conn is not None else store.begin() as writing:
        target = published(writing, survey)
        if recipient_kind not in AUDIENCE_KINDS.get(target.audience, ()):
            raise CxgapError(
                f"The survey '{survey}' asks {target.audience}, so it cannot be sent to a {recipient_kind}."
            )
        invitation_id = secrets.token_urlsafe(12)  # 16 characters, 96 random bits
        expires_at = now + dt.timedelta(days=settings.surveys.token_days)
        row: dict[str, Any] = {
            "invitation_id": invitation_id,
            "survey": survey,
            "version": target.version,
            "recipient_kind": recipient_kind,
            "recipient_id": recipient_id,
            "reason": reason,
            "trigger_id": trigger_id,
            "touchpoint": touchpoint,
            "status": status,
            "created_at": now,
            "sent_at": now if status == "sent" else None,
            "reminders": 0,
            "expires_at": expires_at,
        }
        writing.execute(sa.insert(table_of("survey_invitations")).values(**row))
    token = sign_token(secret, invitation_id, expires_at)
    return Link(invitation_id, token, url_of(settings, token), expires_at)


def link_for(store: Store, settings: Settings, survey: str, customer_id: str, now: dt.datetime) -> Link:
    """One respondent link made by hand (`cxgap surveys link NAME --customer ID`): for a customer, or for
    a staff member when the survey asks staff."""
    with store.engine.connect() as conn:
        audience = published(conn, survey).audience
    kind = "staff" if audience == "staff" else "customer"
    return new_invitation(store, settings, survey, kind, customer_id, "manual", now)
