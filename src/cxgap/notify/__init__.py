"""Notifications of the closed loop: e-mail over SMTP and signed Slack-compatible webhooks, each event
occurrence delivered once per recipient and channel, retried with backoff, logged; a daily digest per
person; per-person preferences; nothing beyond what the recipient may see."""

from __future__ import annotations

from cxgap.config.notify import EVENTS
from cxgap.notify.outbox import Delivery, delivery_log
from cxgap.notify.prefs import Preference, preferences, set_preference
from cxgap.notify.run import NotifyRun, run_notifications
from cxgap.notify.scheduler import Scheduler, wanted
from cxgap.notify.send import sign, verify_signature

__all__ = [
    "EVENTS",
    "Delivery",
    "NotifyRun",
    "Preference",
    "Scheduler",
    "delivery_log",
    "preferences",
    "run_notifications",
    "set_preference",
    "sign",
    "verify_signature",
    "wanted",
]
