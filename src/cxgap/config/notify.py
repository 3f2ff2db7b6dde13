"""Notifications: where e-mail goes out (SMTP) and which webhooks (Slack-compatible, HMAC-signed) are told
of which events; when the server's scheduler sends what is due, and how failed deliveries are retried."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from cxgap.config.base import Strict

EVENTS = ("case_assigned", "case_due", "case_overdue", "emerging_issue", "playbook_run", "digest")
WEBHOOK_EVENTS = EVENTS[:-1]  # the digest is one person's e-mail, never a chat channel's


class Webhook(Strict):
    """An outgoing webhook: a URL told of `events` (for `teams`' cases; empty: every team), each body
    signed with HMAC-SHA256 under `secret`."""

    url: str = Field(min_length=1)
    secret: str = Field(min_length=16, description="shared secret of the HMAC-SHA256 signature")
    events: list[str] = Field(default_factory=lambda: list(WEBHOOK_EVENTS))
    teams: list[str] = Field(default_factory=list, description="only these teams' cases (empty: all)")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # never echo the value: a chat webhook's URL is itself a secret
            raise ValueError("a webhook url must be an http:// or https:// URL")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in WEBHOOK_EVENTS]
        if unknown:
            raise ValueError(
                f"webhook events {unknown} are not among {', '.join(WEBHOOK_EVENTS)} (the digest goes to people)"
            )
        return value


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
    lookback_hours: float = Field(
        24.0,
        gt=0,
        description="an assignment, a deadline passed or an alert older than this is not sent at once "
        "(the digest still lists the cases): a first run does not flood anyone with the past",
    )
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

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            # never echo the value: it may carry a password
            raise ValueError("notify.smtp_url must look like smtp://user:password@host:port or smtps://...")
        return value

    @property
    def configured(self) -> bool:
        """Whether any channel is configured (an SMTP server or a webhook): only then is anything sent."""
        return self.smtp_url is not None or bool(self.webhooks)
