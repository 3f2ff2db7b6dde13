"""Delivery: e-mail over SMTP (smtplib: `smtp://` plain or upgraded with STARTTLS, `smtps://` TLS from the
start, user and password from the URL) and webhooks (an HTTP POST of Slack-compatible JSON, signed).

The signature: `X-Cxgap-Timestamp` is the sending moment in Unix seconds and `X-Cxgap-Signature` is
`sha256=` and the hex HMAC-SHA256, under the webhook's secret, of `<timestamp>.<body>` (the body's exact
bytes). A receiver recomputes it, compares in constant time and refuses a timestamp too far from its own
clock (`verify_signature`), so a captured request cannot be replayed later. Errors are reported without
the SMTP password, the webhook's secret or its URL (a chat webhook's URL is itself a secret)."""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from cxgap.config.notify import NotifySettings, Webhook

TOLERANCE_SECONDS = 300  # a receiver refuses a signature older (or newer) than this


class DeliveryFailed(Exception):
    """One attempt failed; the message says why (no secret in it)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Cxgap-Signature` value of `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None
) -> bool:
    """What a receiver checks: the signature matches the body and the timestamp is within five minutes."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - moment) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _scrub(text: str, secrets: list[str]) -> str:
    """`text` with every secret in it replaced by ***, in one line."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:500]


def post_webhook(hook: Webhook, body: str, timeout: float, clock: Callable[[], float] = time.time) -> None:
    """POST `body` to the webhook, signed; DeliveryFailed unless it answers 2xx."""
    data = body.encode("utf-8")
    timestamp = str(int(clock()))
    request = urllib.request.Request(
        hook.url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "cxgap-notify",
            "X-Cxgap-Timestamp": timestamp,
            "X-Cxgap-Signature": sign(hook.secret, timestamp, data),
        },
    )
    secrets = [hook.secret, hook.url, urlsplit(hook.url).path if len(urlsplit(hook.url).path) > 1 else ""]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (http(s) only, checked)
            answer.read()
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"the webhook answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(_scrub(f"the webhook could not be reached: {reason}", secrets)) from None


def _reason(error: Exception) -> str:
    """An SMTP error as its code and the server's words (not a tuple with bytes in it)."""
    if isinstance(error, smtplib.SMTPResponseException):
        said = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"{error.smtp_code} {said}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{to}: {code} {said.decode('utf-8', 'replace')}" for to, (code, said) in error.recipients.items()
        )
    return str(error) or type(error).__name__


class Mailer:
    """One SMTP connection for a run's e-mails, opened on the first and again after any failure."""

    def __init__(self, settings: NotifySettings) -> None:
        if settings.smtp_url is None:
            raise ValueError("no smtp_url")
        self.settings = settings
        self.url = urlsplit(settings.smtp_url)
        self.user = unquote(self.url.username) if self.url.username else None
        self.password = unquote(self.url.password) if self.url.password else None
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        host, timeout = self.url.hostname or "localhost", self.settings.timeout_seconds
        if self.url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, self.url.port or 465, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, self.url.port or 25, timeout=timeout)
            if self.settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
        if self.user is not None:
            smtp.login(self.user, self.password or "")
        return smtp

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one plain-text e-mail; DeliveryFailed with the server's reason when it is refused."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.settings.from_address, to, subject
        message.set_content(body)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as error:
            self.close()
            secrets = [self.password or "", self.settings.smtp_url or ""]
            raise DeliveryFailed(_scrub(f"the mail server refused: {_reason(error)}", secrets)) from None

    def close(self) -> None:
        """Say goodbye to the server (quietly: the connection may already be gone)."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None
