"""Notifications: where e-mail goes out (SMTP) and which webhooks (Slack-compatible, HMAC-signed) are told
of which events; when the server's scheduler sends what is due, and how failed deliveries are retried."""

from __future__ import annotations

from pydantic import Field

from cxgap.config.base import Strict

EVENTS = ("case_assigned", "case_due", "case_overdue", "emerging_issue", "playbook_run", "digest")


class Webhook(Strict):
    """An outgoing webhook: a URL told of `events` (for `teams`' cases; empty: every team), each body
    signed with HMAC-SHA256 under `secret`."""

    url: str = Field(min_length=1)
    secret: str = Field(min_length=16, description="shared secret of the HMAC-SHA256 signature")
    events: list[str] = Field(default_factory=lambda: list(EVENTS[:-1]))
    teams: list[str] = Field(default_factory=list, description="only these teams' cases (empty: all)")


class NotifySettings(Strict):
    """E-mail over SMTP and outgoing webhooks for the closed loop's events."""

    smtp_url: str | None = Field(
        None,
        description="smtp://user:password@host:port, or smtps:// for TLS from the start; none: no e-mail",
    )
    from_address: str = Field("cxgap@localhost", description="the From: of every e-mail")
    starttls: bool = Field(False, description="upgrade an smtp:// connection with STARTTLS")
    timeout_seconds: float = Field(10.0, gt=0)
    base_url: str = Field("http://127.0.0.1:8000", description="where links in messages point")
    due_within_hours: float = Field(8.0, gt=0, description="a case due within this many hours is 'due soon'")
    digest_hour: int = Field(7, ge=0, le=23, description="the hour (loop clock) the daily digest goes out")
    every_seconds: float = Field(
        60.0,
        ge=0,
        description="how often the server's scheduler sends what is due (0: only `cxgap notify run`)",
    )
    max_attempts: int = Field(5, gt=0, description="a delivery failing this often is given up and logged")
    backoff_seconds: float = Field(
        30.0, gt=0, description="the wait after a first failure; doubles each time"
    )
    webhooks: dict[str, Webhook] = Field(default_factory=dict)
